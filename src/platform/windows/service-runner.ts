/**
 * Runs `hooks` as the Windows service `name` (see service-control.ts for the protocol and
 * the threads). Resolves once the SCM has been told the service stopped.
 */
import { dlopen, JSCallback, ptr } from "bun:ffi";
import { workerSpecifier } from "../../worker-specifier.ts";
import { describeWin32Error } from "./win32-error.ts";
import { SERVICES_ADVAPI32, type ServiceHooks, serviceCallbacks, serviceTable } from "./service-control.ts";

export function runAsWindowsService(name: string, hooks: ServiceHooks): Promise<void> {
  const advapi = dlopen("advapi32.dll", SERVICES_ADVAPI32).symbols;
  let callbacks: ReturnType<typeof serviceCallbacks> | undefined;
  // DWORD HandlerEx(DWORD control, DWORD eventType, LPVOID eventData, LPVOID context)
  const handler = new JSCallback((control: number) => callbacks?.handler(control) ?? 0, {
    args: ["u32", "u32", "ptr", "ptr"],
    returns: "u32",
    threadsafe: true,
  });
  callbacks = serviceCallbacks(name, advapi, handler.ptr ?? 0, hooks);
  // void ServiceMain(DWORD argc, LPWSTR* argv)
  const main = new JSCallback(() => void callbacks?.serviceMain(), { args: ["u32", "ptr"], returns: "void", threadsafe: true });
  const { table, keep } = serviceTable(name, main.ptr ?? 0);
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSpecifier(import.meta.url, "platform/windows/service-dispatcher-worker.ts"));
    worker.onmessage = (e: MessageEvent<{ ok: boolean; error?: number }>) => {
      void [table, keep];
      worker.terminate();
      main.close();
      handler.close();
      if (e.data.ok) resolve();
      else reject(new Error(`StartServiceCtrlDispatcherW: ${describeWin32Error(e.data.error ?? 0).detail} (is skiff started by the Service Control Manager?)`));
    };
    worker.postMessage({ table: Number(ptr(table)) });
  });
}
