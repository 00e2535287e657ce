/**
 * The compute systems skiff holds open (pod sandboxes and containers alike), by id: the
 * HCS_SYSTEM handle, the init process and what it acquired. Like the containerd shim on
 * Windows, skiff is the one holding them: a schema 2.1 document asks HCS to terminate the
 * system when its last handle closes, so a container does not outlive skiff (a restart
 * finds it gone and records it exited).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Process, Spec } from "../../oci/spec.ts";
import type { HcsSystem, WindowsHost } from "../../platform/windows-host.ts";
import { isAlreadyStopped, isNotFound } from "../../platform/windows/hresult.ts";
import { LogFile } from "./cri-log-writer.ts";
import { createHcsContainer, type HcsCreateDeps, type HcsCreateOptions, type HcsResources, releaseResources } from "./hcs-create.ts";
import { type ExecOutput, execInSystem, type Init, startInit, TERMINATED_EXIT_CODE } from "./hcs-process.ts";
import { STATISTICS_QUERY } from "./hcs-statistics.ts";
import type { UtilityVm } from "./utility-vm.ts";
import { createXenonContainer } from "./xenon-create.ts";

type Live = { system: HcsSystem; spec: Spec; resources: HcsResources; init?: Init; log?: LogFile; stopped?: boolean };

/** `{"Signal":"CtrlShutdown"}`: what SIGTERM means to a Windows process (hcsshim's signal map). */
export const CTRL_SHUTDOWN = JSON.stringify({ Signal: "CtrlShutdown" });

const hresultOf = (err: unknown): number | undefined => {
  for (let e: unknown = err; e; e = e instanceof Error ? e.cause : undefined) {
    const hr = (e as { hresult?: unknown }).hresult;
    if (typeof hr === "number") return hr;
  }
  return undefined;
};

export class ComputeSystems {
  readonly #live = new Map<string, Live>();

  constructor(
    private readonly deps: HcsCreateDeps & { host: WindowsHost; clock: () => bigint },
  ) {}

  /** HCS resources of a live system (what to release at removal). */
  resourcesOf(id: string): HcsResources | undefined {
    return this.#live.get(id)?.resources;
  }

  has(id: string): boolean {
    return this.#live.has(id);
  }

  /**
   * createHcsContainer, or createXenonContainer in the pod's utility VM `vm`; the spec and
   * the HCS document go to `bundle` (ContainerStatus shows them).
   */
  async create(opts: HcsCreateOptions & { id: string }, bundle: string, vm?: UtilityVm): Promise<void> {
    fs.mkdirSync(bundle, { recursive: true });
    const created = vm ? await createXenonContainer(this.deps, vm, opts) : await createHcsContainer(this.deps, opts);
    this.#live.set(opts.id, { system: created.system, spec: opts.spec, resources: created.resources });
    fs.writeFileSync(path.join(bundle, "config.json"), JSON.stringify(opts.spec, null, 2));
    fs.writeFileSync(path.join(bundle, "hcs.json"), created.document);
  }

  #need(id: string): Live {
    const live = this.#live.get(id);
    if (!live) throw new Error(`compute system "${id}" is not open`);
    return live;
  }

  /** Starts the system and its init process, whose output goes to `logPath` ("" drops it). */
  async start(id: string, logPath: string): Promise<{ pid: number; exit: Promise<number> }> {
    const live = this.#need(id);
    await this.deps.host.hcs.startComputeSystem(live.system);
    live.log = logPath === "" ? undefined : new LogFile(logPath);
    const sink = live.log?.write ?? (() => {});
    live.init = await startInit(this.deps.host.hcs, live.system, live.spec.process as Process, sink, this.deps.clock);
    return { pid: live.init.process.pid, exit: live.init.exit };
  }

  /** HcsModifyComputeSystem on a live system (a ModifySettingRequest document). */
  async modify(id: string, request: string): Promise<void> {
    await this.deps.host.hcs.modifyComputeSystem(this.#need(id).system, request);
  }

  /** Replaces the spec a live system runs processes with (after an update of its resources). */
  setSpec(id: string, spec: Spec): void {
    const live = this.#live.get(id);
    if (live) live.spec = spec;
  }

  /** Starts a new log file at the log path (the kubelet rotated the old one away). */
  reopenLog(id: string): void {
    this.#live.get(id)?.log?.reopen();
  }

  /** HcsGetComputeSystemProperties for `Statistics` and `ProcessList`: the properties document. */
  async statistics(id: string): Promise<string> {
    return this.deps.host.hcs.getComputeSystemProperties(this.#need(id).system, STATISTICS_QUERY);
  }

  /**
   * Stops the init process: CtrlShutdown first when `graceful` (it has `timeoutMs` to
   * end), then HcsTerminateProcess. Resolves with its exit code (undefined when it never ran).
   */
  async stopInit(id: string, timeoutMs: number, graceful: boolean): Promise<number | undefined> {
    const live = this.#live.get(id);
    const init = live?.init;
    if (!init) return undefined;
    const hcs = this.deps.host.hcs;
    const within = (ms: number) => Promise.race([init.exit.then(() => true, () => true), Bun.sleep(ms).then(() => false)]);
    if (graceful && timeoutMs > 0) {
      await hcs.signalProcess(init.process, CTRL_SHUTDOWN).catch(() => {});
      if (await within(timeoutMs)) return init.exit.catch(() => TERMINATED_EXIT_CODE);
    }
    await hcs.terminateProcess(init.process).catch((err) => {
      const hr = hresultOf(err);
      if (hr === undefined || !isAlreadyStopped(hr)) throw err;
    });
    return init.exit.catch(() => TERMINATED_EXIT_CODE);
  }

  /**
   * Shuts the system down (terminating it if a shutdown fails) and closes its handles:
   * what hcsshim does once a container's init process has exited.
   */
  async shutDown(id: string): Promise<void> {
    const live = this.#live.get(id);
    if (!live || live.stopped) return;
    const hcs = this.deps.host.hcs;
    if (live.init) {
      hcs.closeProcess(live.init.process);
      live.init = undefined;
    }
    // The pumps have ended with the process's pipes: nothing writes to the log any more.
    live.log?.close();
    live.log = undefined;
    try {
      await hcs.shutDownComputeSystem(live.system);
    } catch (err) {
      const hr = hresultOf(err);
      if (hr === undefined || (!isAlreadyStopped(hr) && !isNotFound(hr))) await hcs.terminateComputeSystem(live.system).catch(() => {});
    }
    live.stopped = true;
  }

  /** Shuts down, closes the handle and releases what the create acquired; the id is forgotten. */
  async remove(id: string, resources?: HcsResources): Promise<void> {
    await this.shutDown(id);
    const live = this.#live.get(id);
    if (live) {
      this.deps.host.hcs.closeComputeSystem(live.system);
      this.#live.delete(id);
    }
    const r = live?.resources ?? resources;
    if (r) await releaseResources(this.deps.host, r);
  }

  /** ExecSync in a running system, with its init process's environment, directory and user. */
  async exec(id: string, cmd: string[], timeoutMs: number, maxOutput: number): Promise<ExecOutput> {
    const live = this.#need(id);
    return execInSystem(this.deps.host.hcs, live.system, live.spec.process as Process, cmd, timeoutMs, maxOutput);
  }

  /** After a restart: the system if HCS still has it (reopened), else undefined. */
  async reopen(id: string, spec: Spec, resources: HcsResources): Promise<boolean> {
    try {
      const system = await this.deps.host.hcs.openComputeSystem(id);
      this.#live.set(id, { system, spec, resources });
      return true;
    } catch (err) {
      const hr = hresultOf(err);
      if (hr !== undefined && isNotFound(hr)) return false;
      throw err;
    }
  }
}
