/**
 * The blocking Windows calls, as plain requests and replies: what the call Worker runs
 * (windows-call-worker.ts) and what the unit tests run against fake DLLs on Linux. Each
 * HCS request is one operation: create it, make the call, wait for its result, free the
 * result document, close the operation; a failure anywhere comes back as the call's
 * HRESULT and the message of its result document.
 */
import { COMPUTECORE, GENERIC_ALL, INFINITE, PROCESS_INFORMATION_SIZE } from "./computecore.ts";
import { type COMPUTENETWORK, HCN_DEFAULT_QUERY } from "./computenetwork.ts";
import type { Callable } from "./ffi-types.ts";
import { hex } from "./hresult.ts";
import type { KERNEL32 } from "./kernel32.ts";
import { driverInfo, guidBytes, guidString, layerDescriptors, outPointer, readWide, wideFromBuffer, wstr } from "./marshal.ts";
import type { LayerCallName } from "../windows-host.ts";
import type { OLE32, VMCOMPUTE } from "./vmcompute.ts";

export type WindowsLibs = {
  computecore: Callable<typeof COMPUTECORE>;
  vmcompute: Callable<typeof VMCOMPUTE>;
  computenetwork: Callable<typeof COMPUTENETWORK>;
  kernel32: Pick<Callable<typeof KERNEL32>, "LocalFree" | "CloseHandle">;
  ole32: Callable<typeof OLE32>;
};

export type SystemCall = "HcsStartComputeSystem" | "HcsShutDownComputeSystem" | "HcsTerminateComputeSystem" | "HcsModifyComputeSystem" | "HcsGetComputeSystemProperties";
export type ProcessCall = "HcsGetProcessProperties" | "HcsSignalProcess" | "HcsTerminateProcess";
export type LayerCall = LayerCallName;

export type WindowsCallRequest =
  | { op: "create"; id: string; configuration: string }
  | { op: "open"; id: string }
  | { op: "system"; call: SystemCall; id: string; handle: number; text: string }
  | { op: "close"; call: "HcsCloseComputeSystem" | "HcsCloseProcess"; handle: number; stdio?: number[] }
  | { op: "createProcess"; id: string; handle: number; parameters: string }
  | { op: "process"; call: ProcessCall; id: string; handle: number; text: string }
  | { op: "layer"; call: LayerCall; path: string; arg?: string; parents?: string[]; size?: number }
  | { op: "hns"; method: string; path: string; request: string }
  | { op: "hcn"; kind: "namespace" | "endpoint"; id: string }
  | { op: "grant"; vmId: string; path: string }
  | { op: "guid"; name: string };

export type ProcessInfo = { pid: number; stdin: number; stdout: number; stderr: number };

export type WindowsCallReply =
  | { ok: true; handle?: number; text?: string; process?: ProcessInfo }
  | { ok: false; call: string; hresult: number; target?: string; message?: string };

class CallFailed extends Error {
  constructor(
    readonly call: string,
    readonly hresult: number,
    readonly target?: string,
    readonly detail?: string,
  ) {
    super(`${call}: ${hex(hresult)}`);
  }
}

const num = (p: number | bigint | null | undefined): number => (p === null || p === undefined ? 0 : Number(p));
/** A handle kept as a number (it crosses threads as one) passed back as a pointer. */
const h = (n: number): bigint => BigInt(n);

/** Reads and frees an HCS result document (LocalFree), if the call gave one. */
function takeResult(libs: WindowsLibs, out: { value: bigint }): string | undefined {
  if (out.value === 0n) return undefined;
  const text = readWide(out.value);
  libs.kernel32.LocalFree(out.value);
  return text;
}

/**
 * Runs one asynchronous HCS call: `start(operation)` makes the call, then the operation
 * is waited for. With `withProcess` the wait also fills HCS_PROCESS_INFORMATION.
 */
function operation(libs: WindowsLibs, call: string, target: string, start: (op: bigint) => number, withProcess = false): { text?: string; info?: ProcessInfo } {
  const cc = libs.computecore;
  const op = BigInt(num(cc.HcsCreateOperation(null, null)));
  if (op === 0n) throw new CallFailed("HcsCreateOperation", 0x8007000e, target, "out of memory");
  try {
    const hr = start(op);
    if (hr < 0) throw new CallFailed(call, hr, target);
    const doc = outPointer();
    if (withProcess) {
      const info = Buffer.alloc(PROCESS_INFORMATION_SIZE);
      const waited = cc.HcsWaitForOperationResultAndProcessInfo(op, INFINITE, info, doc.buf);
      const text = takeResult(libs, doc);
      if (waited < 0) throw new CallFailed(call, waited, target, text);
      const at = (offset: number) => Number(info.readBigUInt64LE(offset));
      return { text, info: { pid: info.readUInt32LE(0), stdin: at(8), stdout: at(16), stderr: at(24) } };
    }
    const waited = cc.HcsWaitForOperationResult(op, INFINITE, doc.buf);
    const text = takeResult(libs, doc);
    if (waited < 0) throw new CallFailed(call, waited, target, text);
    return { text };
  } finally {
    cc.HcsCloseOperation(op);
  }
}

function layerCall(libs: WindowsLibs, req: Extract<WindowsCallRequest, { op: "layer" }>): string | undefined {
  const vm = libs.vmcompute;
  const info = driverInfo();
  const id = wstr(req.path);
  const check = (hr: number) => {
    if (hr < 0) throw new CallFailed(req.call, hr, req.path);
  };
  // Parents are named by GUID too: NameToGuid of each folder's base name, as hcsshim's LayerID does.
  const parents = () => {
    const layers = (req.parents ?? []).map((p) => {
      const guid = Buffer.alloc(16);
      const hr = vm.NameToGuid(wstr(p.split(/[\\/]/).filter(Boolean).pop() ?? p), guid);
      if (hr < 0) throw new CallFailed("NameToGuid", hr, p);
      return { path: p, guid: guidString(guid) };
    });
    return { d: layerDescriptors(layers), n: layers.length };
  };
  switch (req.call) {
    case "ImportLayer": {
      const { d, n } = parents();
      check(vm.ImportLayer(info.buf, id, wstr(req.arg ?? ""), n > 0 ? d.buf : null, n));
      return undefined;
    }
    case "CreateSandboxLayer": {
      const { d, n } = parents();
      check(vm.CreateSandboxLayer(info.buf, id, null, n > 0 ? d.buf : null, n));
      return undefined;
    }
    case "PrepareLayer": {
      const { d, n } = parents();
      check(vm.PrepareLayer(info.buf, id, n > 0 ? d.buf : null, n));
      return undefined;
    }
    case "ExpandSandboxSize":
      check(vm.ExpandSandboxSize(info.buf, id, BigInt(req.size ?? 0)));
      return undefined;
    case "GetLayerMountPath": {
      // Asked twice, as the API wants: first the length in characters, then the path.
      const length = new BigUint64Array(1);
      check(vm.GetLayerMountPath(info.buf, id, length, null));
      const chars = Number(length[0] ?? 0n);
      if (chars === 0) return "";
      const buf = Buffer.alloc(chars * 2);
      check(vm.GetLayerMountPath(info.buf, id, length, buf));
      return wideFromBuffer(buf, chars);
    }
    case "ProcessBaseImage":
      check(vm.ProcessBaseImage(id));
      return undefined;
    case "ProcessUtilityImage":
      check(vm.ProcessUtilityImage(id));
      return undefined;
    default:
      check(vm[req.call](info.buf, id));
      return undefined;
  }
}

/** Reads and frees a PWSTR an HCN or HNS call handed back (CoTaskMemFree). */
function takeCoTask(libs: WindowsLibs, out: { value: bigint }): string {
  if (out.value === 0n) return "";
  const text = readWide(out.value);
  libs.ole32.CoTaskMemFree(out.value);
  return text;
}

/** HcnOpen*, HcnQuery*Properties with the default query, HcnClose*: the object's document. */
function hcnQuery(libs: WindowsLibs, req: Extract<WindowsCallRequest, { op: "hcn" }>): string {
  const hn = libs.computenetwork;
  const [open, query, close] =
    req.kind === "namespace"
      ? (["HcnOpenNamespace", "HcnQueryNamespaceProperties", "HcnCloseNamespace"] as const)
      : (["HcnOpenEndpoint", "HcnQueryEndpointProperties", "HcnCloseEndpoint"] as const);
  const handle = outPointer();
  const openRecord = outPointer();
  const opened = hn[open](guidBytes(req.id), handle.buf, openRecord.buf);
  const openError = takeCoTask(libs, openRecord);
  if (opened < 0) throw new CallFailed(open, opened, req.id, openError);
  try {
    const props = outPointer();
    const record = outPointer();
    const queried = hn[query](handle.value, wstr(HCN_DEFAULT_QUERY), props.buf, record.buf);
    const text = takeCoTask(libs, props);
    const queryRecord = takeCoTask(libs, record);
    if (queried < 0) throw new CallFailed(query, queried, req.id, queryRecord);
    return text;
  } finally {
    hn[close](handle.value);
  }
}

/** Runs one request to completion (blocking). Never throws: failures are replies. */
export function executeWindowsCall(libs: WindowsLibs, req: WindowsCallRequest): WindowsCallReply {
  const cc = libs.computecore;
  try {
    switch (req.op) {
      case "create": {
        const system = outPointer();
        const r = operation(libs, "HcsCreateComputeSystem", req.id, (op) =>
          cc.HcsCreateComputeSystem(wstr(req.id), wstr(req.configuration), op, null, system.buf),
        );
        return { ok: true, handle: Number(system.value), text: r.text };
      }
      case "open": {
        const system = outPointer();
        const hr = cc.HcsOpenComputeSystem(wstr(req.id), GENERIC_ALL, system.buf);
        if (hr < 0) throw new CallFailed("HcsOpenComputeSystem", hr, req.id);
        return { ok: true, handle: Number(system.value) };
      }
      case "system": {
        const text = wstr(req.text);
        const r = operation(libs, req.call, req.id, (op) =>
          req.call === "HcsModifyComputeSystem" ? cc.HcsModifyComputeSystem(h(req.handle), op, text, null) : cc[req.call](h(req.handle), op, text),
        );
        return { ok: true, text: r.text };
      }
      case "close":
        if (req.call === "HcsCloseComputeSystem") cc.HcsCloseComputeSystem(h(req.handle));
        else cc.HcsCloseProcess(h(req.handle));
        for (const s of req.stdio ?? []) if (s !== 0) libs.kernel32.CloseHandle(h(s));
        return { ok: true };
      case "createProcess": {
        const process = outPointer();
        const r = operation(libs, "HcsCreateProcess", req.id, (op) => cc.HcsCreateProcess(h(req.handle), wstr(req.parameters), op, null, process.buf), true);
        return { ok: true, handle: Number(process.value), process: r.info };
      }
      case "process": {
        const text = wstr(req.text);
        const r = operation(libs, req.call, req.id, (op) => cc[req.call](h(req.handle), op, text));
        return { ok: true, text: r.text };
      }
      case "layer":
        return { ok: true, text: layerCall(libs, req) };
      case "guid": {
        const guid = Buffer.alloc(16);
        const hr = libs.vmcompute.NameToGuid(wstr(req.name), guid);
        if (hr < 0) throw new CallFailed("NameToGuid", hr, req.name);
        return { ok: true, text: guidString(guid) };
      }
      case "hns": {
        const response = outPointer();
        const hr = libs.vmcompute.HNSCall(wstr(req.method), wstr(req.path), wstr(req.request), response.buf);
        const text = takeCoTask(libs, response);
        if (hr < 0) throw new CallFailed("HNSCall", hr, `${req.method} ${req.path}`, text);
        return { ok: true, text };
      }
      case "hcn":
        return { ok: true, text: hcnQuery(libs, req) };
      case "grant": {
        const hr = libs.vmcompute.GrantVmAccess(wstr(req.vmId), wstr(req.path));
        if (hr < 0) throw new CallFailed("GrantVmAccess", hr, req.path);
        return { ok: true };
      }
    }
  } catch (err) {
    if (err instanceof CallFailed) return { ok: false, call: err.call, hresult: err.hresult, target: err.target, message: err.detail };
    return { ok: false, call: req.op, hresult: 0x8000ffff, message: err instanceof Error ? err.message : String(err) };
  }
}
