/**
 * The real `WindowsHost`: HCS, layer and HNS calls go to a `CallRunner` (Workers in the
 * daemon, fake DLLs in the unit tests), stdio pipes are read by the `PipePoller` on this
 * thread, and failures become `HcsCallError`s naming the call and the id or path.
 */
import type { Hcn, Hcs, HcsProcess, HcsProcessStatus, HcsSystem, Hns, WindowsHost, WindowsLayerCalls } from "../windows-host.ts";
import type { CallRunner } from "./call-pool.ts";
import { HcsCallError, resultMessage } from "./hresult.ts";
import type { PipePoller } from "./pipe-poller.ts";
import type { LayerCall, ProcessCall, SystemCall, WindowsCallRequest } from "./windows-calls.ts";

export type WindowsHostParts = {
  run: CallRunner;
  poller: PipePoller;
  osVersion: () => string;
  processorCount: () => number;
  restrictPipe: (path: string, sddl: string) => void;
  runAsService?: WindowsHost["runAsService"];
  /** Hears failures of the calls nobody waits for (closing handles). */
  onBackgroundError?: (err: Error) => void;
};

export function windowsHostOver(parts: WindowsHostParts): WindowsHost {
  const { run, poller } = parts;
  const stdioOf = new Map<number, number[]>();

  const call = async (req: WindowsCallRequest) => {
    const reply = await run(req);
    if (!reply.ok) throw new HcsCallError(reply.call, reply.hresult, reply.target, resultMessage(reply.message));
    return reply;
  };
  const background = (req: WindowsCallRequest) => {
    call(req).catch((err: Error) => parts.onBackgroundError?.(err));
  };
  const system = (c: SystemCall, s: HcsSystem, text = "") => call({ op: "system", call: c, id: s.id, handle: s.handle, text });
  const process = (c: ProcessCall, p: HcsProcess, text = "") => call({ op: "process", call: c, id: p.systemId, handle: p.handle, text });

  const hcs: Hcs = {
    async createComputeSystem(id, configuration) {
      const r = await call({ op: "create", id, configuration });
      return { kind: "system", id, handle: r.handle ?? 0 };
    },
    async openComputeSystem(id) {
      const r = await call({ op: "open", id });
      return { kind: "system", id, handle: r.handle ?? 0 };
    },
    startComputeSystem: async (s, options) => void (await system("HcsStartComputeSystem", s, options)),
    shutDownComputeSystem: async (s, options) => void (await system("HcsShutDownComputeSystem", s, options)),
    terminateComputeSystem: async (s, options) => void (await system("HcsTerminateComputeSystem", s, options)),
    modifyComputeSystem: async (s, configuration) => void (await system("HcsModifyComputeSystem", s, configuration)),
    async getComputeSystemProperties(s, query) {
      return (await system("HcsGetComputeSystemProperties", s, query)).text ?? "";
    },
    closeComputeSystem(s) {
      background({ op: "close", call: "HcsCloseComputeSystem", handle: s.handle });
    },
    async createProcess(s, parameters) {
      const r = await call({ op: "createProcess", id: s.id, handle: s.handle, parameters });
      const info = r.process ?? { pid: 0, stdin: 0, stdout: 0, stderr: 0 };
      const handle = r.handle ?? 0;
      stdioOf.set(handle, [info.stdin, info.stdout, info.stderr]);
      return {
        kind: "process",
        systemId: s.id,
        pid: info.pid,
        handle,
        stdout: info.stdout !== 0 ? poller.reader(info.stdout) : undefined,
        stderr: info.stderr !== 0 ? poller.reader(info.stderr) : undefined,
      };
    },
    async getProcessProperties(p) {
      const text = (await process("HcsGetProcessProperties", p)).text ?? "";
      return (text === "" ? {} : JSON.parse(text)) as HcsProcessStatus;
    },
    signalProcess: async (p, options) => void (await process("HcsSignalProcess", p, options)),
    terminateProcess: async (p) => void (await process("HcsTerminateProcess", p)),
    closeProcess(p) {
      p.stdout?.close();
      p.stderr?.close();
      const stdio = stdioOf.get(p.handle) ?? [];
      stdioOf.delete(p.handle);
      background({ op: "close", call: "HcsCloseProcess", handle: p.handle, stdio });
    },
  };

  const layer = (c: LayerCall, path: string, more: { arg?: string; parents?: readonly string[]; size?: number } = {}) =>
    call({ op: "layer", call: c, path, arg: more.arg, parents: more.parents ? [...more.parents] : undefined, size: more.size });

  const layers: WindowsLayerCalls = {
    nameToGuid: async (name) => (await call({ op: "guid", name })).text ?? "",
    importLayer: async (path, importFolder, parents) => void (await layer("ImportLayer", path, { arg: importFolder, parents })),
    processBaseImage: async (path) => void (await layer("ProcessBaseImage", path)),
    processUtilityImage: async (path) => void (await layer("ProcessUtilityImage", path)),
    grantVmAccess: async (vmId, path) => void (await call({ op: "grant", vmId, path })),
    createSandboxLayer: async (path, parents) => void (await layer("CreateSandboxLayer", path, { parents })),
    expandSandboxSize: async (path, size) => void (await layer("ExpandSandboxSize", path, { size })),
    activateLayer: async (path) => void (await layer("ActivateLayer", path)),
    prepareLayer: async (path, parents) => void (await layer("PrepareLayer", path, { parents })),
    getLayerMountPath: async (path) => (await layer("GetLayerMountPath", path)).text ?? "",
    unprepareLayer: async (path) => void (await layer("UnprepareLayer", path)),
    deactivateLayer: async (path) => void (await layer("DeactivateLayer", path)),
    destroyLayer: async (path) => void (await layer("DestroyLayer", path)),
  };

  const hns: Hns = {
    async call(method, path, request) {
      return (await call({ op: "hns", method, path, request })).text ?? "";
    },
  };

  const hcn: Hcn = {
    queryNamespace: async (id) => (await call({ op: "hcn", kind: "namespace", id })).text ?? "",
    queryEndpoint: async (id) => (await call({ op: "hcn", kind: "endpoint", id })).text ?? "",
  };

  return {
    hcs,
    layers,
    hns,
    hcn,
    osVersion: parts.osVersion,
    processorCount: parts.processorCount,
    restrictPipe: parts.restrictPipe,
    runAsService: parts.runAsService,
  };
}
