/**
 * Worker entry: runs the blocking Windows calls (HCS operation waits, layer calls,
 * HNSCall) off the daemon's JS thread. Each DLL is loaded on first use, so a host without
 * the Containers feature fails the calls that need it, with the DLL named, instead of
 * failing every call.
 */
import { dlopen } from "bun:ffi";
import { COMPUTECORE } from "./computecore.ts";
import { COMPUTENETWORK } from "./computenetwork.ts";
import { KERNEL32 } from "./kernel32.ts";
import { OLE32, VMCOMPUTE } from "./vmcompute.ts";
import { executeWindowsCall, type WindowsCallRequest, type WindowsLibs } from "./windows-calls.ts";

declare const self: Worker;

const cache: Partial<WindowsLibs> = {};
const libs: WindowsLibs = {
  get computecore() {
    return (cache.computecore ??= dlopen("computecore.dll", COMPUTECORE).symbols);
  },
  get vmcompute() {
    return (cache.vmcompute ??= dlopen("vmcompute.dll", VMCOMPUTE).symbols);
  },
  get computenetwork() {
    return (cache.computenetwork ??= dlopen("computenetwork.dll", COMPUTENETWORK).symbols);
  },
  get kernel32() {
    return (cache.kernel32 ??= dlopen("kernel32.dll", KERNEL32).symbols);
  },
  get ole32() {
    return (cache.ole32 ??= dlopen("ole32.dll", OLE32).symbols);
  },
};

self.onmessage = (e: MessageEvent<{ id: number; req: WindowsCallRequest }>) => {
  const { id, req } = e.data;
  let reply;
  try {
    reply = executeWindowsCall(libs, req);
  } catch (err) {
    // A DLL that does not load: the request never reached its call.
    reply = { ok: false as const, call: req.op, hresult: 0x8007007e, message: err instanceof Error ? err.message : String(err) };
  }
  postMessage({ id, reply });
};
