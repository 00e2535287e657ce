/**
 * The call log and error injection shared by the fake HCS, layer and HNS calls, in the
 * spirit of containerd's fake_os: every call is recorded (failed ones too) under the name
 * of the DLL export it stands for, and any call can be made to fail with an HRESULT.
 */
import { HcsCallError } from "../windows/hresult.ts";
import type { WindowsCallName } from "../windows-host.ts";

export type FakeWindowsCall = {
  call: WindowsCallName;
  /** The arguments as the DLL would see them: ids, paths, JSON documents as text. */
  args: unknown[];
  /** Set when the call failed: the HRESULT it returned. */
  failed?: number;
};

/** Fail the `nth` call of `call` counted from when the rule is added (1 = the next one). */
export type FakeInjection = { call: WindowsCallName; nth?: number; hresult?: number };

/** E_FAIL, the HRESULT an injected failure returns unless told otherwise. */
export const E_FAIL = 0x80004005;

export class FakeCallLog {
  readonly calls: FakeWindowsCall[] = [];
  #rules: { rule: FakeInjection; seen: number }[] = [];
  /** Hears every call once recorded (the file bridge writes it out). */
  onCall?: (c: FakeWindowsCall) => void;
  /** Runs before a call is judged (the file bridge reloads injected failures). */
  beforeCall?: () => void;

  inject(rule: FakeInjection): void {
    this.#rules.push({ rule, seen: 0 });
  }

  clearInjections(): void {
    this.#rules = [];
  }

  /** The recorded calls named `call`, in order. */
  of(call: WindowsCallName): FakeWindowsCall[] {
    return this.calls.filter((c) => c.call === call);
  }

  /**
   * Records a call and throws the injected error when a rule says this one fails; the
   * target (id or path) goes into the error message, as the real calls do. `act`, run
   * only when nothing is injected, does the call's work; an error with an `hresult` it
   * throws fails the call the same way.
   */
  record(call: WindowsCallName, args: unknown[], target?: string, act?: () => void): void {
    this.beforeCall?.();
    const entry: FakeWindowsCall = { call, args };
    const hit = this.#rules.find((r) => r.rule.call === call && ++r.seen === (r.rule.nth ?? 1));
    let message = "injected by the fake";
    if (hit) {
      this.#rules = this.#rules.filter((r) => r !== hit);
      entry.failed = hit.rule.hresult ?? E_FAIL;
    } else if (act) {
      // What the call does, when the fake itself may refuse it (a bad modify request).
      try {
        act();
      } catch (err) {
        const hr = (err as { hresult?: unknown }).hresult;
        if (typeof hr !== "number") throw err;
        entry.failed = hr;
        message = (err as Error).message;
      }
    }
    this.calls.push(entry);
    this.onCall?.(entry);
    if (entry.failed !== undefined) throw new HcsCallError(call, entry.failed, target, message);
  }

  /** Records a failure the fake itself found (a bad handle, a missing layer). */
  fail(call: WindowsCallName, args: unknown[], hresult: number, target: string | undefined, message: string): never {
    const entry: FakeWindowsCall = { call, args, failed: hresult };
    this.calls.push(entry);
    this.onCall?.(entry);
    throw new HcsCallError(call, hresult, target, message);
  }
}
