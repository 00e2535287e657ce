/**
 * Answering the Windows Service Control Manager, so `skiff serve --windows-service` can
 * run as the service `skiff install` registers
 * (https://learn.microsoft.com/en-us/windows/win32/services/service-programs).
 *
 * StartServiceCtrlDispatcherW blocks its thread until the service stops and calls
 * ServiceMain and the control handler on threads of the SCM's own. So the dispatcher
 * runs in a Worker (service-dispatcher-worker.ts), and ServiceMain and HandlerEx are
 * threadsafe JSCallbacks owned by the daemon's thread, where they run: ServiceMain
 * registers the handler and reports START_PENDING, then RUNNING once the daemon serves;
 * a STOP or SHUTDOWN control reports STOP_PENDING, stops the daemon, reports STOPPED,
 * which lets the dispatcher return.
 *
 * The state machine below is pure and tested against fake symbols; the threads are
 * Windows' own and have not run on a real node.
 */
import { ptr } from "bun:ffi";
import type { Callable } from "./ffi-types.ts";
import { wstr } from "./marshal.ts";

export const SERVICES_ADVAPI32 = {
  // SERVICE_STATUS_HANDLE RegisterServiceCtrlHandlerExW(LPCWSTR name, LPHANDLER_FUNCTION_EX handler, LPVOID context)
  RegisterServiceCtrlHandlerExW: { args: ["ptr", "ptr", "ptr"], returns: "ptr" },
  // BOOL SetServiceStatus(SERVICE_STATUS_HANDLE, LPSERVICE_STATUS)
  SetServiceStatus: { args: ["ptr", "ptr"], returns: "i32" },
  // BOOL StartServiceCtrlDispatcherW(const SERVICE_TABLE_ENTRYW* table)
  StartServiceCtrlDispatcherW: { args: ["ptr"], returns: "i32" },
} as const;

export const SERVICE_WIN32_OWN_PROCESS = 0x10;
export const STATE = { stopped: 1, startPending: 2, stopPending: 3, running: 4 } as const;
export const CONTROL = { stop: 1, interrogate: 4, shutdown: 5 } as const;
const ACCEPT_STOP_AND_SHUTDOWN = 0x1 | 0x4;
const NO_ERROR = 0;
const ERROR_CALL_NOT_IMPLEMENTED = 120;

/** SERVICE_STATUS: seven DWORDs (type, state, controls accepted, exit code, service exit code, check point, wait hint). */
export function serviceStatus(state: number, opts: { accepted?: number; exitCode?: number; checkPoint?: number; waitHintMs?: number } = {}): Buffer {
  const b = Buffer.alloc(28);
  [SERVICE_WIN32_OWN_PROCESS, state, opts.accepted ?? 0, opts.exitCode ?? 0, 0, opts.checkPoint ?? 0, opts.waitHintMs ?? 0].forEach((v, i) =>
    b.writeUInt32LE(v, i * 4),
  );
  return b;
}

export type ServiceHooks = {
  /** Starts the daemon; RUNNING is reported when it resolves. */
  start(): Promise<void>;
  /** Stops it; STOPPED is reported when it resolves. */
  stop(): Promise<void>;
  /** A failure that ends the service. */
  onError(err: unknown): void;
};

type Advapi = Pick<Callable<typeof SERVICES_ADVAPI32>, "RegisterServiceCtrlHandlerExW" | "SetServiceStatus">;

/**
 * What ServiceMain and HandlerEx do, given the handler's function pointer. Returned as
 * plain functions so the threadsafe callbacks can wrap them and tests can call them.
 */
export function serviceCallbacks(name: string, advapi: Advapi, handlerPtr: number | bigint, hooks: ServiceHooks) {
  let handle: bigint | undefined;
  let checkPoint = 0;
  let stopping = false;
  const report = (state: number, opts: Parameters<typeof serviceStatus>[1] = {}) => {
    if (handle === undefined) return;
    const pending = state === STATE.startPending || state === STATE.stopPending;
    advapi.SetServiceStatus(handle, serviceStatus(state, { ...opts, checkPoint: pending ? ++checkPoint : 0, waitHintMs: pending ? 30_000 : 0 }));
  };
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    report(STATE.stopPending);
    try {
      await hooks.stop();
      report(STATE.stopped);
    } catch (err) {
      report(STATE.stopped, { exitCode: 1 });
      hooks.onError(err);
    }
  };
  return {
    async serviceMain(): Promise<void> {
      const h = advapi.RegisterServiceCtrlHandlerExW(wstr(name), BigInt(handlerPtr), null);
      if (h === null || BigInt(h) === 0n) return hooks.onError(new Error("RegisterServiceCtrlHandlerExW failed"));
      handle = BigInt(h);
      report(STATE.startPending);
      try {
        await hooks.start();
        report(STATE.running, { accepted: ACCEPT_STOP_AND_SHUTDOWN });
      } catch (err) {
        report(STATE.stopped, { exitCode: 1 });
        hooks.onError(err);
      }
    },
    handler(control: number): number {
      if (control === CONTROL.stop || control === CONTROL.shutdown) {
        void stop();
        return NO_ERROR;
      }
      return control === CONTROL.interrogate ? NO_ERROR : ERROR_CALL_NOT_IMPLEMENTED;
    },
  };
}

/** SERVICE_TABLE_ENTRYW[2]: this service's name and ServiceMain, then the NULL terminator. */
export function serviceTable(name: string, serviceMainPtr: number | bigint): { table: Buffer; keep: Buffer } {
  const nameBuf = wstr(name);
  const table = Buffer.alloc(32);
  table.writeBigUInt64LE(BigInt(ptr(nameBuf)), 0);
  table.writeBigUInt64LE(BigInt(serviceMainPtr), 8);
  return { table, keep: nameBuf };
}
