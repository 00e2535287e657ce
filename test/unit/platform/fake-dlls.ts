/**
 * Fake computecore.dll, vmcompute.dll, kernel32.dll and ole32.dll written against the
 * same symbol tables as the real ones (`Callable<typeof TABLE>`), so the marshalling code
 * in src/platform/windows runs on Linux exactly as it would call the DLLs: wide strings
 * are decoded from the buffers it passes, out parameters are written into its buffers,
 * result documents are handed out as real pointers to UTF-16 memory, and every free is
 * recorded.
 */
import { ptr } from "bun:ffi";
import type { COMPUTECORE } from "../../../src/platform/windows/computecore.ts";
import type { COMPUTENETWORK } from "../../../src/platform/windows/computenetwork.ts";
import type { Callable } from "../../../src/platform/windows/ffi-types.ts";
import { guidString, readLayerDescriptors, readWide, wstr } from "../../../src/platform/windows/marshal.ts";
import type { OLE32, VMCOMPUTE } from "../../../src/platform/windows/vmcompute.ts";
import type { WindowsLibs } from "../../../src/platform/windows/windows-calls.ts";

type PtrArg = NodeJS.TypedArray | bigint | number | null;

/** The text of a PCWSTR argument (a Buffer the code under test made with `wstr`). */
export function text(a: PtrArg): string {
  if (a === null) return "<null>";
  if (typeof a === "bigint" || typeof a === "number") return readWide(a);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("utf16le").replace(/\0$/, "");
}

const setOut = (a: PtrArg, v: bigint) => {
  if (a instanceof BigUint64Array) a[0] = v;
  else throw new Error("out parameter is not a BigUint64Array");
};

export type DllEvent = { fn: string; args: unknown[] };

export class FakeDlls {
  readonly events: DllEvent[] = [];
  /** Memory handed out as result documents, by address; removed when freed. */
  readonly live = new Map<bigint, Buffer>();
  /** What the next calls return (HRESULT), by function name; default S_OK. */
  readonly hr: Record<string, number[]> = {};
  /** The result document the next wait hands back. */
  result: string | undefined;
  /** What HcsWaitForOperationResult* returns. */
  waitHr = 0;
  processInfo = { pid: 4242, stdin: 0x31n, stdout: 0x32n, stderr: 0x33n };
  mountPath = "\\\\?\\Volume{0b7fe3c4-1f1a-4c53-9d0e-8b6e6a1c1111}\\";
  hnsResponse = '{"Success":true,"Output":{"ID":"7a1b0f00-0000-4000-8000-000000000001"}}';
  /** The document HcnQuery*Properties hands back, and the error record a failing HCN call does. */
  hcnProperties = '{"ID":"7a1b0f00-0000-4000-8000-000000000001"}';
  hcnErrorRecord = '{"Error":"Element not found."}';
  #op = 0x100n;

  #log(fn: string, args: unknown[]): number {
    this.events.push({ fn, args });
    return this.hr[fn]?.shift() ?? 0;
  }

  alloc(s: string): bigint {
    const b = wstr(s);
    const p = BigInt(ptr(b));
    this.live.set(p, b);
    return p;
  }

  names(): string[] {
    return this.events.map((e) => e.fn);
  }

  readonly computecore: Callable<typeof COMPUTECORE> = {
    HcsCreateOperation: (ctx, cb) => {
      this.#log("HcsCreateOperation", [ctx, cb]);
      return this.#op++;
    },
    HcsCloseOperation: (op) => void this.#log("HcsCloseOperation", [op]),
    HcsWaitForOperationResult: (op, timeout, doc) => {
      this.#log("HcsWaitForOperationResult", [op, timeout]);
      setOut(doc, this.result === undefined ? 0n : this.alloc(this.result));
      return this.waitHr;
    },
    HcsWaitForOperationResultAndProcessInfo: (op, timeout, info, doc) => {
      this.#log("HcsWaitForOperationResultAndProcessInfo", [op, timeout]);
      const b = info as Buffer;
      b.writeUInt32LE(this.processInfo.pid, 0);
      b.writeBigUInt64LE(this.processInfo.stdin, 8);
      b.writeBigUInt64LE(this.processInfo.stdout, 16);
      b.writeBigUInt64LE(this.processInfo.stderr, 24);
      setOut(doc, this.result === undefined ? 0n : this.alloc(this.result));
      return this.waitHr;
    },
    HcsCreateComputeSystem: (id, config, op, sd, out) => {
      const hr = this.#log("HcsCreateComputeSystem", [text(id), text(config), op, sd]);
      if (hr >= 0) setOut(out, 0x5000n);
      return hr;
    },
    HcsOpenComputeSystem: (id, access, out) => {
      const hr = this.#log("HcsOpenComputeSystem", [text(id), access]);
      if (hr >= 0) setOut(out, 0x5001n);
      return hr;
    },
    HcsCloseComputeSystem: (s) => void this.#log("HcsCloseComputeSystem", [s]),
    HcsStartComputeSystem: (s, op, o) => this.#log("HcsStartComputeSystem", [s, op, text(o)]),
    HcsShutDownComputeSystem: (s, op, o) => this.#log("HcsShutDownComputeSystem", [s, op, text(o)]),
    HcsTerminateComputeSystem: (s, op, o) => this.#log("HcsTerminateComputeSystem", [s, op, text(o)]),
    HcsModifyComputeSystem: (s, op, c, identity) => this.#log("HcsModifyComputeSystem", [s, op, text(c), identity]),
    HcsGetComputeSystemProperties: (s, op, q) => this.#log("HcsGetComputeSystemProperties", [s, op, text(q)]),
    HcsCreateProcess: (s, params, op, sd, out) => {
      const hr = this.#log("HcsCreateProcess", [s, text(params), op, sd]);
      if (hr >= 0) setOut(out, 0x6000n);
      return hr;
    },
    HcsGetProcessProperties: (p, op, q) => this.#log("HcsGetProcessProperties", [p, op, text(q)]),
    HcsSignalProcess: (p, op, o) => this.#log("HcsSignalProcess", [p, op, text(o)]),
    HcsTerminateProcess: (p, op, o) => this.#log("HcsTerminateProcess", [p, op, text(o)]),
    HcsCloseProcess: (p) => void this.#log("HcsCloseProcess", [p]),
  };

  /** DriverInfo as the code under test laid it out. */
  static driverInfo(a: PtrArg): { flavour: number; homeDir: string } {
    const b = a as Buffer;
    return { flavour: b.readInt32LE(0), homeDir: readWide(b.readBigUInt64LE(8)) };
  }

  readonly vmcompute: Callable<typeof VMCOMPUTE> = {
    ActivateLayer: (info, id) => this.#log("ActivateLayer", [FakeDlls.driverInfo(info), text(id)]),
    CreateSandboxLayer: (info, id, parent, d, n) =>
      this.#log("CreateSandboxLayer", [FakeDlls.driverInfo(info), text(id), parent, readLayerDescriptors(d as Buffer, n)]),
    ExpandSandboxSize: (info, id, size) => this.#log("ExpandSandboxSize", [FakeDlls.driverInfo(info), text(id), size]),
    DeactivateLayer: (info, id) => this.#log("DeactivateLayer", [FakeDlls.driverInfo(info), text(id)]),
    DestroyLayer: (info, id) => this.#log("DestroyLayer", [FakeDlls.driverInfo(info), text(id)]),
    GetLayerMountPath: (info, id, length, buf) => {
      const hr = this.#log("GetLayerMountPath", [FakeDlls.driverInfo(info), text(id), buf === null ? "length" : "path"]);
      const len = length as BigUint64Array;
      if (buf === null) len[0] = BigInt(this.mountPath.length + 1);
      else (buf as Buffer).set(wstr(this.mountPath).subarray(0, Number(len[0]) * 2));
      return hr;
    },
    ImportLayer: (info, id, path, d, n) =>
      this.#log("ImportLayer", [FakeDlls.driverInfo(info), text(id), text(path), d === null ? [] : readLayerDescriptors(d as Buffer, n)]),
    NameToGuid: (name, guid) => {
      const hr = this.#log("NameToGuid", [text(name)]);
      // A GUID derived from the name, so tests can tell layers apart.
      const h = new Bun.CryptoHasher("md5").update(text(name)).digest();
      (guid as Buffer).set(h.subarray(0, 16));
      return hr;
    },
    PrepareLayer: (info, id, d, n) => this.#log("PrepareLayer", [FakeDlls.driverInfo(info), text(id), d === null ? [] : readLayerDescriptors(d as Buffer, n)]),
    UnprepareLayer: (info, id) => this.#log("UnprepareLayer", [FakeDlls.driverInfo(info), text(id)]),
    ProcessBaseImage: (path) => this.#log("ProcessBaseImage", [text(path)]),
    ProcessUtilityImage: (path) => this.#log("ProcessUtilityImage", [text(path)]),
    GrantVmAccess: (vmId, path) => this.#log("GrantVmAccess", [text(vmId), text(path)]),
    HNSCall: (method, path, request, response) => {
      const hr = this.#log("HNSCall", [text(method), text(path), text(request)]);
      setOut(response, this.alloc(this.hnsResponse));
      return hr;
    },
  };

  #hcnOpen(fn: string, id: PtrArg, handle: PtrArg, record: PtrArg): number {
    const hr = this.#log(fn, [guidString(id as Buffer)]);
    if (hr < 0) setOut(record, this.alloc(this.hcnErrorRecord));
    else setOut(handle, 0x7000n);
    return hr;
  }

  #hcnQuery(fn: string, h: PtrArg, query: PtrArg, props: PtrArg, record: PtrArg): number {
    const hr = this.#log(fn, [h, text(query)]);
    if (hr < 0) setOut(record, this.alloc(this.hcnErrorRecord));
    else setOut(props, this.alloc(this.hcnProperties));
    return hr;
  }

  readonly computenetwork: Callable<typeof COMPUTENETWORK> = {
    HcnOpenNamespace: (id, h, record) => this.#hcnOpen("HcnOpenNamespace", id, h, record),
    HcnQueryNamespaceProperties: (h, q, props, record) => this.#hcnQuery("HcnQueryNamespaceProperties", h, q, props, record),
    HcnCloseNamespace: (h) => this.#log("HcnCloseNamespace", [h]),
    HcnOpenEndpoint: (id, h, record) => this.#hcnOpen("HcnOpenEndpoint", id, h, record),
    HcnQueryEndpointProperties: (h, q, props, record) => this.#hcnQuery("HcnQueryEndpointProperties", h, q, props, record),
    HcnCloseEndpoint: (h) => this.#log("HcnCloseEndpoint", [h]),
  };

  readonly ole32: Callable<typeof OLE32> = {
    CoTaskMemFree: (p) => {
      this.#log("CoTaskMemFree", [p]);
      this.live.delete(BigInt(p as bigint));
    },
  };

  readonly kernel32: WindowsLibs["kernel32"] = {
    LocalFree: (p) => {
      this.#log("LocalFree", [p]);
      this.live.delete(BigInt(p as bigint));
      return null;
    },
    CloseHandle: (h) => {
      this.#log("CloseHandle", [h]);
      return 1;
    },
  };

  libs(): WindowsLibs {
    return { computecore: this.computecore, vmcompute: this.vmcompute, computenetwork: this.computenetwork, kernel32: this.kernel32, ole32: this.ole32 };
  }
}
