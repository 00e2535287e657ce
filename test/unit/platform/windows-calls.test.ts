import { describe, expect, test } from "bun:test";
import { HcsCallError } from "../../../src/platform/windows/hresult.ts";
import { guidBytes, guidString } from "../../../src/platform/windows/marshal.ts";
import { PipePoller } from "../../../src/platform/windows/pipe-poller.ts";
import { executeWindowsCall, type WindowsCallRequest } from "../../../src/platform/windows/windows-calls.ts";
import { windowsHostOver } from "../../../src/platform/windows/windows-host-impl.ts";
import { FakeDlls } from "./fake-dlls.ts";

const INFINITE = 0xffffffff;

function hostOver(dlls: FakeDlls) {
  return windowsHostOver({
    run: async (req: WindowsCallRequest) => executeWindowsCall(dlls.libs(), req),
    poller: new PipePoller({ PeekNamedPipe: () => 0, ReadFile: () => 0 }),
    osVersion: () => "10.0.20348.1",
    processorCount: () => 4,
    restrictPipe: () => {},
  });
}

describe("HCS calls through computecore.dll", () => {
  test("a create is one operation: made, called, waited for without a timeout, its result freed, closed", async () => {
    const dlls = new FakeDlls();
    dlls.result = "{}";
    const sys = await hostOver(dlls).hcs.createComputeSystem("c1", '{"SchemaVersion":{"Major":2,"Minor":1}}');
    expect(sys).toEqual({ kind: "system", id: "c1", handle: 0x5000 });
    expect(dlls.names()).toEqual(["HcsCreateOperation", "HcsCreateComputeSystem", "HcsWaitForOperationResult", "LocalFree", "HcsCloseOperation"]);
    const create = dlls.events[1]!.args;
    expect(create.slice(0, 2)).toEqual(["c1", '{"SchemaVersion":{"Major":2,"Minor":1}}']);
    expect(create[3]).toBeNull(); // no security descriptor
    expect(dlls.events[2]!.args[1]).toBe(INFINITE);
    expect(dlls.live.size).toBe(0);
  });

  test("a call refused at once fails naming it, and its operation is still closed", async () => {
    const dlls = new FakeDlls();
    dlls.hr.HcsStartComputeSystem = [0x8037010e | 0];
    const host = hostOver(dlls);
    const err = await host.hcs.startComputeSystem({ kind: "system", id: "gone", handle: 0x5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(HcsCallError);
    expect(err.message).toBe('HcsStartComputeSystem "gone": ENOENT (hresult 0x8037010e HCS_E_SYSTEM_NOT_FOUND)');
    expect(dlls.names()).toEqual(["HcsCreateOperation", "HcsStartComputeSystem", "HcsCloseOperation"]);
  });

  test("an operation that fails carries the message of its result document, which is freed", async () => {
    const dlls = new FakeDlls();
    dlls.waitHr = 0x80370101 | 0;
    dlls.result = '{"Error":-2143878911,"ErrorMessage":"The container operating system does not match the host operating system."}';
    const err = await hostOver(dlls).hcs.createComputeSystem("c2", "{}").catch((e) => e);
    expect(err.message).toBe(
      'HcsCreateComputeSystem "c2": EINVAL (hresult 0x80370101 HCS_E_IMAGE_MISMATCH: The container operating system does not match the host operating system.)',
    );
    expect(dlls.live.size).toBe(0);
    expect(dlls.names().at(-1)).toBe("HcsCloseOperation");
  });

  test("system calls pass the handle, the operation and their document", async () => {
    const dlls = new FakeDlls();
    const host = hostOver(dlls);
    const sys = { kind: "system" as const, id: "c1", handle: 0x5000 };
    await host.hcs.shutDownComputeSystem(sys, "");
    await host.hcs.modifyComputeSystem(sys, '{"ResourcePath":"x"}');
    dlls.result = '{"State":"Running"}';
    expect(await host.hcs.getComputeSystemProperties(sys, '{"PropertyTypes":[]}')).toBe('{"State":"Running"}');
    const calls = dlls.events.filter((e) => e.fn.startsWith("Hcs") && !e.fn.includes("Operation"));
    expect(calls.map((c) => [c.fn, c.args[0], c.args.at(-1)])).toEqual([
      ["HcsShutDownComputeSystem", 0x5000n, ""],
      ["HcsModifyComputeSystem", 0x5000n, null],
      ["HcsGetComputeSystemProperties", 0x5000n, '{"PropertyTypes":[]}'],
    ]);
    expect(calls[1]!.args[2]).toBe('{"ResourcePath":"x"}');
  });

  test("open asks for GENERIC_ALL and needs no operation", async () => {
    const dlls = new FakeDlls();
    const sys = await hostOver(dlls).hcs.openComputeSystem("c1");
    expect(sys.handle).toBe(0x5001);
    expect(dlls.events).toEqual([{ fn: "HcsOpenComputeSystem", args: ["c1", 0x10000000] }]);
  });

  test("a process comes back with its pid and the stdio handles of HCS_PROCESS_INFORMATION", () => {
    const dlls = new FakeDlls();
    const reply = executeWindowsCall(dlls.libs(), { op: "createProcess", id: "c1", handle: 0x5000, parameters: '{"CommandLine":"cmd"}' });
    expect(reply).toEqual({ ok: true, handle: 0x6000, process: { pid: 4242, stdin: 0x31, stdout: 0x32, stderr: 0x33 } });
    expect(dlls.names()).toEqual(["HcsCreateOperation", "HcsCreateProcess", "HcsWaitForOperationResultAndProcessInfo", "HcsCloseOperation"]);
    expect(dlls.events[1]!.args[1]).toBe('{"CommandLine":"cmd"}');
  });

  test("closing a process closes its handle and its stdio handles", () => {
    const dlls = new FakeDlls();
    executeWindowsCall(dlls.libs(), { op: "close", call: "HcsCloseProcess", handle: 0x6000, stdio: [0, 0x32, 0x33] });
    expect(dlls.events).toEqual([
      { fn: "HcsCloseProcess", args: [0x6000n] },
      { fn: "CloseHandle", args: [0x32n] },
      { fn: "CloseHandle", args: [0x33n] },
    ]);
  });

  test("process properties are parsed from the result document", async () => {
    const dlls = new FakeDlls();
    dlls.result = '{"ProcessId":4242,"Exited":true,"ExitCode":3}';
    const st = await hostOver(dlls).hcs.getProcessProperties({ kind: "process", systemId: "c1", pid: 4242, handle: 0x6000 });
    expect(st).toEqual({ ProcessId: 4242, Exited: true, ExitCode: 3 });
  });
});

describe("layer calls through vmcompute.dll", () => {
  const parents = ["C:\\skiff\\snapshots\\bbb", "C:\\skiff\\snapshots\\aaa"];

  test("ImportLayer gets the standard DriverInfo, the layer, the staged folder and its parents by GUID, nearest first", async () => {
    const dlls = new FakeDlls();
    await hostOver(dlls).layers.importLayer("C:\\skiff\\snapshots\\ccc", "C:\\skiff\\tmp\\import-1", parents);
    expect(dlls.names()).toEqual(["NameToGuid", "NameToGuid", "ImportLayer"]);
    expect(dlls.events.slice(0, 2).map((e) => e.args[0])).toEqual(["bbb", "aaa"]);
    const [info, id, folder, descriptors] = dlls.events[2]!.args as [unknown, string, string, { guid: string; flags: number; path: string }[]];
    expect(info).toEqual({ flavour: 1, homeDir: "" });
    expect(id).toBe("C:\\skiff\\snapshots\\ccc");
    expect(folder).toBe("C:\\skiff\\tmp\\import-1");
    const md5 = (s: string) => guidString(new Bun.CryptoHasher("md5").update(s).digest().subarray(0, 16));
    expect(descriptors).toEqual([
      { guid: md5("bbb"), flags: 0, path: parents[0]! },
      { guid: md5("aaa"), flags: 0, path: parents[1]! },
    ]);
  });

  test("a base layer import passes no descriptors", async () => {
    const dlls = new FakeDlls();
    await hostOver(dlls).layers.createSandboxLayer("C:\\s\\scratch", []);
    expect(dlls.events).toEqual([{ fn: "CreateSandboxLayer", args: [{ flavour: 1, homeDir: "" }, "C:\\s\\scratch", null, []] }]);
  });

  test("GetLayerMountPath asks for the length first, then the path", async () => {
    const dlls = new FakeDlls();
    expect(await hostOver(dlls).layers.getLayerMountPath("C:\\s\\scratch")).toBe(dlls.mountPath);
    expect(dlls.events.map((e) => e.args[2])).toEqual(["length", "path"]);
  });

  test("ExpandSandboxSize passes the size as a 64-bit value", async () => {
    const dlls = new FakeDlls();
    await hostOver(dlls).layers.expandSandboxSize("C:\\s\\scratch", 40 * 1024 ** 3);
    expect(dlls.events[0]!.args[2]).toBe(42949672960n);
  });

  test("a failed layer call names the call and the layer path", async () => {
    const dlls = new FakeDlls();
    dlls.hr.ActivateLayer = [0x80070005 | 0];
    const err = await hostOver(dlls).layers.activateLayer("C:\\s\\scratch").catch((e) => e);
    expect(err.message).toBe('ActivateLayer "C:\\s\\scratch": EACCES (hresult 0x80070005 ERROR_ACCESS_DENIED)');
  });

  test("a failed NameToGuid fails the call that needed it", async () => {
    const dlls = new FakeDlls();
    dlls.hr.NameToGuid = [0x80070057 | 0];
    const err = await hostOver(dlls).layers.prepareLayer("C:\\s\\scratch", parents).catch((e) => e);
    expect(err.message).toStartWith(`NameToGuid "${parents[0]}": EINVAL`);
    expect(dlls.names()).toEqual(["NameToGuid"]);
  });
});

describe("HNSCall", () => {
  test("the response is read and freed with CoTaskMemFree", async () => {
    const dlls = new FakeDlls();
    const res = await hostOver(dlls).hns.call("POST", "/namespaces/", "{}");
    expect(res).toBe(dlls.hnsResponse);
    expect(dlls.names()).toEqual(["HNSCall", "CoTaskMemFree"]);
    expect(dlls.events[0]!.args).toEqual(["POST", "/namespaces/", "{}"]);
    expect(dlls.live.size).toBe(0);
  });
});

describe("HCN through computenetwork.dll", () => {
  const NS = "5b9f0d3a-2c41-4a8e-9d1b-0c7e6f1a2b3c";

  test("a namespace is opened by GUID, queried with the default query, closed, and its document freed", async () => {
    const dlls = new FakeDlls();
    expect(await hostOver(dlls).hcn.queryNamespace(NS)).toBe(dlls.hcnProperties);
    expect(dlls.events).toEqual([
      { fn: "HcnOpenNamespace", args: [NS] },
      { fn: "HcnQueryNamespaceProperties", args: [0x7000n, '{"SchemaVersion":{"Major":2,"Minor":0}}'] },
      { fn: "CoTaskMemFree", args: [expect.any(BigInt)] },
      { fn: "HcnCloseNamespace", args: [0x7000n] },
    ]);
    expect(dlls.live.size).toBe(0);
  });

  test("an endpoint likewise, through the endpoint calls", async () => {
    const dlls = new FakeDlls();
    await hostOver(dlls).hcn.queryEndpoint(NS);
    expect(dlls.names()).toEqual(["HcnOpenEndpoint", "HcnQueryEndpointProperties", "CoTaskMemFree", "HcnCloseEndpoint"]);
  });

  test("a failed open names the call and carries its error record, which is freed; nothing is closed", async () => {
    const dlls = new FakeDlls();
    dlls.hr.HcnOpenNamespace = [0x803b0001 | 0];
    const err = await hostOver(dlls).hcn.queryNamespace(NS).catch((e) => e);
    expect(err).toBeInstanceOf(HcsCallError);
    expect(err.message).toContain(`HcnOpenNamespace "${NS}"`);
    expect(err.message).toContain("Element not found.");
    expect(dlls.names()).toEqual(["HcnOpenNamespace", "CoTaskMemFree"]);
    expect(dlls.live.size).toBe(0);
  });

  test("a failed query still closes the namespace", async () => {
    const dlls = new FakeDlls();
    dlls.hr.HcnQueryNamespaceProperties = [0x80070005 | 0];
    const err = await hostOver(dlls).hcn.queryNamespace(NS).catch((e) => e);
    expect(err.message).toContain("HcnQueryNamespaceProperties");
    expect(dlls.names().at(-1)).toBe("HcnCloseNamespace");
    expect(dlls.live.size).toBe(0);
  });
});

describe("GrantVmAccess", () => {
  test("passes the VM's id and the file, as wide strings", async () => {
    const dlls = new FakeDlls();
    await hostOver(dlls).layers.grantVmAccess("p1@vm", "C:\\s\\p1\\vm\\sandbox.vhdx");
    expect(dlls.events).toEqual([{ fn: "GrantVmAccess", args: ["p1@vm", "C:\\s\\p1\\vm\\sandbox.vhdx"] }]);
  });

  test("a failure names the call and the file", async () => {
    const dlls = new FakeDlls();
    dlls.hr.GrantVmAccess = [0x80070005 | 0];
    const err = await hostOver(dlls).layers.grantVmAccess("p1@vm", "C:\\x.vhdx").catch((e) => e);
    expect(err.message).toBe('GrantVmAccess "C:\\x.vhdx": EACCES (hresult 0x80070005 ERROR_ACCESS_DENIED)');
  });
});

describe("GUIDs", () => {
  test("the byte layout is Data1, Data2, Data3 little-endian, then Data4 as is", () => {
    const b = guidBytes("01020304-0506-0708-090a-0b0c0d0e0f10");
    expect([...b]).toEqual([4, 3, 2, 1, 6, 5, 8, 7, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(guidString(b)).toBe("01020304-0506-0708-090a-0b0c0d0e0f10");
  });
});

describe("the call worker", () => {
  test.skipIf(process.platform === "win32")("starts, answers over messages, and names the DLL it could not load", async () => {
    const { createCallPool } = await import("../../../src/platform/windows/call-pool.ts");
    const run = createCallPool();
    const reply = await run({ op: "open", id: "c1" });
    expect(reply.ok).toBe(false);
    if (!reply.ok) {
      expect(reply.hresult >>> 0).toBe(0x8007007e); // ERROR_MOD_NOT_FOUND
      expect(reply.message).toContain("computecore.dll");
    }
  });
});

describe("NameToGuid", () => {
  test("a layer's GUID comes from its folder name, read back from the 16 bytes vmcompute wrote", async () => {
    const dlls = new FakeDlls();
    const guid = await hostOver(dlls).layers.nameToGuid("aaa");
    expect(guid).toBe(guidString(new Bun.CryptoHasher("md5").update("aaa").digest().subarray(0, 16)));
    expect(dlls.events).toEqual([{ fn: "NameToGuid", args: ["aaa"] }]);
  });
});
