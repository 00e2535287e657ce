/**
 * A fake Host Compute Service: compute systems and their processes kept in memory, with
 * the life cycle HCS gives them. A system exists from create until it is stopped (shut
 * down or terminated) and its last handle is closed; closing the last handle of a running
 * system whose document says `ShouldTerminateOnLastHandleClosed` terminates it. Processes
 * run the tiny command interpreter of fake-process.ts.
 */
import type { Hcs, HcsProcess, HcsProcessStatus, HcsSystem } from "../windows-host.ts";
import type { FakeCallLog } from "./fake-call-log.ts";
import { FAKE_TERMINATED_EXIT, FakeProcess, type FakeProcessParams } from "./fake-process.ts";
import { FakeVm, modifyContainer } from "./fake-vm.ts";

const HCS_E_SYSTEM_NOT_FOUND = 0x8037010e;
const HCS_E_SYSTEM_ALREADY_EXISTS = 0x8037010f;
const HCS_E_INVALID_STATE = 0x80370105;
const HCS_E_INVALID_JSON = 0x8037010d;
const E_HANDLE = 0x80070006;
const ERROR_FILE_NOT_FOUND = 0x80070002;

export type FakeSystemState = "created" | "running" | "stopped";

export type FakeSystem = {
  id: string;
  document: Record<string, unknown>;
  state: FakeSystemState;
  handles: number;
  processes: Map<number, FakeProcess>;
  /** A utility VM's devices (its document has a VirtualMachine). */
  vm?: FakeVm;
  /** Resource updates a container took (HcsModifyComputeSystem), in order. */
  updates: { path: string; settings: unknown }[];
};

type Hosted = { Container?: { Storage?: { Path?: string; Layers?: { Path?: string }[] }; MappedDirectories?: { HostPath?: string }[] } };

export class FakeHcs implements Hcs {
  readonly systems = new Map<string, FakeSystem>();
  /** Open handles: system handles by number, process handles by number. */
  readonly #systemHandles = new Map<number, string>();
  readonly #processHandles = new Map<number, { systemId: string; pid: number }>();
  #next = 0x1000;
  #nextPid = 1000;

  constructor(private readonly log: FakeCallLog) {}

  /** Open handles (systems and processes): each one a leak once nothing should be open. */
  openHandles(): string[] {
    return [
      ...[...this.#systemHandles.values()].map((id) => `system handle of "${id}"`),
      ...[...this.#processHandles.values()].map((p) => `process handle of pid ${p.pid} in "${p.systemId}"`),
    ];
  }

  #system(call: Parameters<FakeCallLog["record"]>[0], s: HcsSystem, args: unknown[]): FakeSystem {
    const id = this.#systemHandles.get(s.handle);
    const sys = id === undefined ? undefined : this.systems.get(id);
    if (!sys) this.log.fail(call, args, E_HANDLE, s.id, "invalid compute system handle");
    return sys;
  }

  #open(sys: FakeSystem): HcsSystem {
    sys.handles++;
    const handle = this.#next++;
    this.#systemHandles.set(handle, sys.id);
    return { kind: "system", id: sys.id, handle };
  }

  async createComputeSystem(id: string, configuration: string): Promise<HcsSystem> {
    const args = [id, configuration];
    let document: Record<string, unknown>;
    try {
      document = JSON.parse(configuration) as Record<string, unknown>;
    } catch {
      this.log.fail("HcsCreateComputeSystem", args, HCS_E_INVALID_JSON, id, "the configuration is not JSON");
    }
    if (this.systems.has(id)) this.log.fail("HcsCreateComputeSystem", args, HCS_E_SYSTEM_ALREADY_EXISTS, id, "exists");
    const host = document.HostingSystemId;
    if (typeof host === "string") {
      const vm = this.systems.get(host);
      if (vm?.state !== "running" || !vm.vm) this.log.fail("HcsCreateComputeSystem", args, HCS_E_INVALID_STATE, id, `hosting system "${host}" is not a running utility VM`);
      const missing = this.#notInVm(vm.vm, document.HostedSystem as Hosted | undefined);
      if (missing) this.log.fail("HcsCreateComputeSystem", args, ERROR_FILE_NOT_FOUND, id, missing);
    }
    this.log.record("HcsCreateComputeSystem", args, id);
    const sys: FakeSystem = { id, document, state: "created", handles: 0, processes: new Map(), updates: [] };
    if (document.VirtualMachine) sys.vm = new FakeVm(document);
    this.systems.set(id, sys);
    return this.#open(sys);
  }

  /** What a hosted container's document names that its utility VM does not have, if anything. */
  #notInVm(vm: FakeVm, hosted: Hosted | undefined): string | undefined {
    const storage = hosted?.Container?.Storage;
    if (!storage?.Path || !vm.hasCombined(storage.Path)) return `the container root "${storage?.Path ?? ""}" holds no combined layers in the utility VM`;
    for (const l of storage.Layers ?? []) if (!vm.shareOf(l.Path ?? "")) return `layer "${l.Path ?? ""}" is not shared into the utility VM`;
    for (const m of hosted?.Container?.MappedDirectories ?? []) if (!vm.shareOf(m.HostPath ?? "")) return `mapped directory "${m.HostPath ?? ""}" is not shared into the utility VM`;
    return undefined;
  }

  async openComputeSystem(id: string): Promise<HcsSystem> {
    const sys = this.systems.get(id);
    if (!sys) this.log.fail("HcsOpenComputeSystem", [id], HCS_E_SYSTEM_NOT_FOUND, id, "no such compute system");
    this.log.record("HcsOpenComputeSystem", [id], id);
    return this.#open(sys);
  }

  async startComputeSystem(system: HcsSystem, options = ""): Promise<void> {
    const args = [system.id, options];
    const sys = this.#system("HcsStartComputeSystem", system, args);
    if (sys.state !== "created") this.log.fail("HcsStartComputeSystem", args, HCS_E_INVALID_STATE, sys.id, `system is ${sys.state}`);
    this.log.record("HcsStartComputeSystem", args, sys.id);
    sys.state = "running";
  }

  #stop(sys: FakeSystem): void {
    sys.state = "stopped";
    for (const p of sys.processes.values()) p.terminate(FAKE_TERMINATED_EXIT);
    // Systems hosted in a utility VM stop with it.
    for (const other of this.systems.values()) {
      if (other.document.HostingSystemId === sys.id && other.state !== "stopped") this.#stop(other);
    }
  }

  async shutDownComputeSystem(system: HcsSystem, options = ""): Promise<void> {
    const args = [system.id, options];
    const sys = this.#system("HcsShutDownComputeSystem", system, args);
    this.log.record("HcsShutDownComputeSystem", args, sys.id);
    this.#stop(sys);
  }

  async terminateComputeSystem(system: HcsSystem, options = ""): Promise<void> {
    const args = [system.id, options];
    const sys = this.#system("HcsTerminateComputeSystem", system, args);
    this.log.record("HcsTerminateComputeSystem", args, sys.id);
    this.#stop(sys);
  }

  async modifyComputeSystem(system: HcsSystem, configuration: string): Promise<void> {
    const args = [system.id, configuration];
    const sys = this.#system("HcsModifyComputeSystem", system, args);
    this.log.record("HcsModifyComputeSystem", args, sys.id, () => {
      if (sys.state !== "running") throw Object.assign(new Error(`system is ${sys.state}`), { hresult: HCS_E_INVALID_STATE });
      let req: Record<string, unknown>;
      try {
        req = JSON.parse(configuration) as Record<string, unknown>;
      } catch {
        throw Object.assign(new Error("the request is not JSON"), { hresult: HCS_E_INVALID_JSON });
      }
      if (sys.vm) sys.vm.modify(req);
      else modifyContainer(sys.updates, req);
    });
  }

  async getComputeSystemProperties(system: HcsSystem, query: string): Promise<string> {
    const args = [system.id, query];
    const sys = this.#system("HcsGetComputeSystemProperties", system, args);
    this.log.record("HcsGetComputeSystemProperties", args, sys.id);
    const state = sys.state === "running" ? "Running" : sys.state === "created" ? "Created" : "Stopped";
    // Made-up but steady figures: 1 s of CPU and 64 MiB committed (48 MiB working set) per live process.
    const live = [...sys.processes.values()].filter((p) => !p.exited).length;
    const running = sys.state === "running";
    const statistics = query.includes("Statistics") && running
      ? { Statistics: { Processor: { TotalRuntime100ns: live * 10_000_000 }, Memory: { MemoryUsageCommitBytes: live * 64 * 2 ** 20, MemoryUsagePrivateWorkingSetBytes: live * 48 * 2 ** 20 } } }
      : {};
    const processList = query.includes("ProcessList") && running
      ? { ProcessList: [...sys.processes.values()].filter((p) => !p.exited).map((p) => ({ ProcessId: p.pid, ImageName: (p.params.CommandLine ?? "").split(" ")[0] })) }
      : {};
    // A Windows guest's connection (hcsshim caches it at start): protocol 4, namespaces can be added.
    const guest = query.includes("GuestConnection") && running && sys.vm
      ? { GuestConnectionInfo: { SupportedSchemaVersions: [{ Major: 2, Minor: 1 }], ProtocolVersion: 4, GuestDefinedCapabilities: { NamespaceAddRequestSupported: true, SignalProcessSupported: true } } }
      : {};
    const type = sys.vm ? "VirtualMachine" : "Container";
    return JSON.stringify({ Id: sys.id, SystemType: type, State: state, Stopped: sys.state === "stopped", ...statistics, ...processList, ...guest });
  }

  closeComputeSystem(system: HcsSystem): void {
    const id = this.#systemHandles.get(system.handle);
    this.log.calls.push({ call: "HcsCloseComputeSystem", args: [system.id] });
    this.log.onCall?.({ call: "HcsCloseComputeSystem", args: [system.id] });
    if (id === undefined) return;
    this.#systemHandles.delete(system.handle);
    const sys = this.systems.get(id);
    if (!sys) return;
    sys.handles--;
    if (sys.handles > 0) return;
    if (sys.state !== "stopped" && sys.document.ShouldTerminateOnLastHandleClosed === true) this.#stop(sys);
    if (sys.state === "stopped") this.systems.delete(id);
  }

  async createProcess(system: HcsSystem, parameters: string): Promise<HcsProcess> {
    const args = [system.id, parameters];
    const sys = this.#system("HcsCreateProcess", system, args);
    if (sys.state !== "running") this.log.fail("HcsCreateProcess", args, HCS_E_INVALID_STATE, sys.id, `system is ${sys.state}`);
    this.log.record("HcsCreateProcess", args, sys.id);
    const proc = new FakeProcess(this.#nextPid++, JSON.parse(parameters) as FakeProcessParams);
    sys.processes.set(proc.pid, proc);
    const handle = this.#next++;
    this.#processHandles.set(handle, { systemId: sys.id, pid: proc.pid });
    return { kind: "process", systemId: sys.id, pid: proc.pid, handle, stdin: proc.stdin, stdout: proc.stdout, stderr: proc.stderr };
  }

  /** The fake process behind a handle, for tests. */
  processOf(p: HcsProcess): FakeProcess | undefined {
    return this.systems.get(p.systemId)?.processes.get(p.pid);
  }

  #process(call: Parameters<FakeCallLog["record"]>[0], p: HcsProcess, args: unknown[]): FakeProcess {
    const proc = this.#processHandles.has(p.handle) ? this.processOf(p) : undefined;
    if (!proc) this.log.fail(call, args, E_HANDLE, p.systemId, "invalid process handle");
    return proc;
  }

  async getProcessProperties(process: HcsProcess): Promise<HcsProcessStatus> {
    const args = [process.systemId, process.pid];
    const proc = this.#process("HcsGetProcessProperties", process, args);
    this.log.record("HcsGetProcessProperties", args, process.systemId);
    return proc.exited ? { ProcessId: proc.pid, Exited: true, ExitCode: proc.exitCode } : { ProcessId: proc.pid };
  }

  async signalProcess(process: HcsProcess, options: string): Promise<void> {
    const args = [process.systemId, process.pid, options];
    const proc = this.#process("HcsSignalProcess", process, args);
    this.log.record("HcsSignalProcess", args, process.systemId);
    proc.signal();
  }

  async terminateProcess(process: HcsProcess): Promise<void> {
    const args = [process.systemId, process.pid];
    const proc = this.#process("HcsTerminateProcess", process, args);
    this.log.record("HcsTerminateProcess", args, process.systemId);
    proc.terminate();
  }

  closeProcess(process: HcsProcess): void {
    this.log.calls.push({ call: "HcsCloseProcess", args: [process.systemId, process.pid] });
    this.log.onCall?.({ call: "HcsCloseProcess", args: [process.systemId, process.pid] });
    if (!this.#processHandles.delete(process.handle)) return;
    const stillOpen = [...this.#processHandles.values()].some((h) => h.systemId === process.systemId && h.pid === process.pid);
    const proc = this.processOf(process);
    if (proc?.exited && !stillOpen) this.systems.get(process.systemId)?.processes.delete(process.pid);
  }
}
