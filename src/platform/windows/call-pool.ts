/**
 * Runs Windows call requests on Workers: an idle worker takes the next request, a new one
 * starts when all are busy (HCS waits can last as long as a container takes to start), and
 * workers idle for a while end, so a quiet node holds no threads.
 */
import { workerSpecifier } from "../../worker-specifier.ts";
import type { WindowsCallReply, WindowsCallRequest } from "./windows-calls.ts";

export type CallRunner = (req: WindowsCallRequest) => Promise<WindowsCallReply>;

const IDLE_MS = 30_000;

/** Where the call worker's code is (see worker-specifier.ts). */
export function callWorkerSpecifier(moduleUrl = import.meta.url): string {
  return workerSpecifier(moduleUrl, "platform/windows/windows-call-worker.ts");
}

type Slot = { worker: Worker; busy: boolean; idle?: Timer };

export function createCallPool(specifier = callWorkerSpecifier()): CallRunner {
  const slots = new Set<Slot>();
  const pending = new Map<number, (r: WindowsCallReply) => void>();
  let nextId = 1;

  const release = (slot: Slot) => {
    slot.busy = false;
    slot.idle = setTimeout(() => {
      slots.delete(slot);
      slot.worker.terminate();
    }, IDLE_MS);
    slot.idle.unref?.();
  };

  const take = (): Slot => {
    for (const s of slots) {
      if (!s.busy) {
        clearTimeout(s.idle);
        s.busy = true;
        return s;
      }
    }
    const slot: Slot = { worker: new Worker(specifier), busy: true };
    slot.worker.unref?.();
    slot.worker.onmessage = (e: MessageEvent<{ id: number; reply: WindowsCallReply }>) => {
      const done = pending.get(e.data.id);
      pending.delete(e.data.id);
      release(slot);
      done?.(e.data.reply);
    };
    slots.add(slot);
    return slot;
  };

  return (req) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      const slot = take();
      slot.worker.onerror = (e) => {
        pending.delete(id);
        slots.delete(slot);
        resolve({ ok: false, call: req.op, hresult: 0x8000ffff, message: `call worker failed: ${e.message}` });
      };
      slot.worker.postMessage({ id, req });
    });
}
