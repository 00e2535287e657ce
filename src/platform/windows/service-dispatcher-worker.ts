/**
 * Worker entry: calls StartServiceCtrlDispatcherW, which connects this process to the
 * Service Control Manager and blocks until the service has stopped; meanwhile the SCM
 * calls ServiceMain and the control handler (threadsafe callbacks of the daemon's thread).
 */
import { dlopen } from "bun:ffi";
import { lazyKernel32 } from "./kernel32.ts";
import { SERVICES_ADVAPI32 } from "./service-control.ts";

declare const self: Worker;

self.onmessage = (e: MessageEvent<{ table: number }>) => {
  const advapi = dlopen("advapi32.dll", SERVICES_ADVAPI32).symbols;
  const ok = advapi.StartServiceCtrlDispatcherW(BigInt(e.data.table));
  // 1063 ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: not started by the SCM.
  postMessage(ok !== 0 ? { ok: true } : { ok: false, error: lazyKernel32()().GetLastError() });
};
