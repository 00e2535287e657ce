/**
 * Containers on Linux: CreateContainer, StartContainer, StopContainer, RemoveContainer,
 * ExecSync and the state behind ContainerStatus. A container is a store row first (which
 * reserves its name), then an overlay rootfs, a bundle and a conmon-monitored runtime
 * container. Every step can be undone from the id alone, for rollback and recovery.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContainerConfig, LinuxContainerResources } from "../gen/runtime/v1/api_pb.ts";
import { Signal, createLinuxContainerConfig, jsonContainerConfig } from "../wire/gen/runtime-v1.ts";
import { toOciResources } from "../oci/opts/resources.ts";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError } from "../errors.ts";
import { KeyedLock } from "../runtime/keyed-lock.ts";
import { settleStragglers } from "../runtime/stragglers.ts";
import { stepTimer } from "../runtime/step-timer.ts";
import type { ExitInfo, ExecResult } from "../runtime/linux/oci-runtime.ts";
import type { RuntimeHandler } from "../runtime/runtime-handlers.ts";
import type { ContainerRecord, JsonObject, SandboxRecord } from "../store/index.ts";
import { liveRecord, podContainersOf, unlessNotFound } from "../store/live-records.ts";
import type { PodContext } from "../sandbox/pod-context.ts";
import { newId } from "../sandbox/new-id.ts";
import type { SandboxManager } from "../sandbox/sandbox-manager.ts";
import { sandboxConfigOf } from "../sandbox/sandbox-record.ts";
import { checkContainerConfig, prepareLogPath, resolveMountSources } from "./container-config-check.ts";
import { containerLogPath, containerPaths, type ContainerPaths } from "./container-paths.ts";
import { imageConfigOf } from "./image-config.ts";
import { type ContainerUsage, LayerUsageCache, containerUsage } from "./container-usage.ts";
import { memoryCgroupOf, oomKillCount } from "./cgroup-stats.ts";
import { writeContainerBundle } from "./container-bundle.ts";
import { containerConfigOf, execSyncOutputCap, exitReason } from "./container-record.ts";
import { pidTarget } from "./pid-target.ts";
import { unmountAll } from "./mounts.ts";
import type { PodEventType } from "../sandbox/pod-events.ts";

export class ContainerManager {
  readonly #lock = new KeyedLock();
  readonly #layers = new LayerUsageCache();

  constructor(
    private readonly ctx: PodContext,
    private readonly sandboxes: SandboxManager,
  ) {
    sandboxes.attachContainers(podContainersOf(ctx.store.containers, this));
  }

  paths(id: string): ContainerPaths {
    return containerPaths(this.ctx.config.paths, id);
  }

  #handler(sandbox: SandboxRecord): RuntimeHandler {
    const h = this.ctx.handlers.get(sandbox.runtimeHandler);
    if (!h) throw new FailedPreconditionError(`runtime handler "${sandbox.runtimeHandler}" of sandbox "${sandbox.id}" is no longer configured`);
    return h;
  }

  /** CreateContainer: the container exists in the runtime, not yet started. */
  async create(podSandboxId: string, config: ContainerConfig | undefined): Promise<string> {
    if (podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    checkContainerConfig(config);
    const sandbox = this.sandboxes.get(podSandboxId);
    if (sandbox.state !== "ready") throw new FailedPreconditionError(`sandbox "${sandbox.id}" is not ready`);
    const sandboxConfig = sandboxConfigOf(sandbox);
    const image = this.ctx.images.resolve(config.image!.image);
    if (!image) throw new NotFoundError(`image "${config.image!.image}" not found`);
    const handler = this.#handler(sandbox);
    config.mounts.forEach((m, i) => {
      if (m.recursiveReadOnly && !handler.features.recursiveReadOnlyMounts) {
        throw new InvalidArgumentError(`config.mounts[${i}].recursive_read_only`, `runtime handler "${handler.name}" cannot make recursive read-only mounts on this host (its runtime lacks "rro", or Linux is older than 5.12)`);
      }
    });
    const targetPid = await pidTarget(sandbox.id, config, (idOrPrefix, field) => this.get(idOrPrefix, field));
    const mounts = resolveMountSources(config.mounts);
    const id = newId();
    const logPath = containerLogPath(sandboxConfig.logDirectory, config.logPath);
    if (logPath !== "") prepareLogPath(sandboxConfig.logDirectory, config.logPath);
    this.ctx.store.containers.create({
      id,
      sandboxId: sandbox.id,
      metadata: { name: config.metadata!.name, attempt: config.metadata!.attempt },
      config: jsonContainerConfig(config) as JsonObject,
      imageRef: image.refs.find((r) => r.includes("@")) ?? image.id,
      imageId: image.id,
      logPath,
      // Keeps the image's layers from garbage collection while the container exists.
      info: { chainId: image.chainId },
    });
    return this.#lock.run(id, async () => {
      const t = stepTimer();
      try {
        const p = this.paths(id);
        const spec = writeContainerBundle(this.ctx, {
          id,
          paths: p,
          config,
          mounts,
          image,
          sandbox,
          sandboxConfig,
          sandboxPaths: this.sandboxes.paths(sandbox.id),
          targetPid,
          handler,
          mark: (step) => t.mark(step),
        });
        const { pid, conmonPid } = await handler.runtime.create({ id, dir: p.bundle, logPath: this.#runtimeLog(id, logPath), tty: config.tty, stdin: config.stdin, stdinOnce: config.stdinOnce });
        t.mark("runtime");
        // The process user is kept for ContainerStatus, which must not read the bundle per call.
        // The memory cgroup, kept while the process lives to read for OOM kills after it exits.
        const created = { pid, conmonPid, chainId: image.chainId, user: spec.process?.user ?? null, memoryCgroup: memoryCgroupOf(pid) ?? null };
        this.ctx.store.containers.updateState(id, "created", { info: created, expect: ["creating"] });
        this.#emit(id, sandbox.id, "created");
        t.mark("store");
        this.ctx.log.debug(`create container "${id}": ${t.summary()}`);
      } catch (err) {
        this.ctx.log.warn(`create container "${id}" failed, undoing: ${String(err)}`);
        await this.#teardown(id, handler).catch((e) => this.ctx.log.error(`undo container "${id}": ${String(e)}`));
        this.ctx.store.containers.delete(id);
        throw err;
      }
      return id;
    });
  }

  /** Undoes what create did on the host; each step tolerates finding it undone. */
  async #teardown(id: string, handler: RuntimeHandler | undefined): Promise<void> {
    const p = this.paths(id);
    if (handler) await handler.runtime.delete(id, true);
    unmountAll(this.ctx.platform, p.rootfs);
    fs.rmSync(p.bundle, { recursive: true, force: true });
    fs.rmSync(p.dir, { recursive: true, force: true });
  }

  /** The container for an id or unique prefix, its exit folded in. @throws NotFoundError */
  async get(idOrPrefix: string, field = "container_id"): Promise<ContainerRecord> {
    return this.#refresh(liveRecord(this.ctx.store.containers, idOrPrefix, field, "container"));
  }

  /**
   * The container, or undefined when there is none: Stop and Remove succeed for unknown
   * ids (api.proto: they must be idempotent).
   */
  async #findForIdempotent(idOrPrefix: string): Promise<ContainerRecord | undefined> {
    return unlessNotFound(() => this.get(idOrPrefix));
  }

  /**
   * Folds in an exit conmon recorded that the store does not know of yet. `recorded`,
   * when a listing read them once for all its containers, is the ids with an exit file:
   * the others are still running, and need neither a store read for their handler nor
   * two file checks.
   */
  async #refresh(rec: ContainerRecord, recorded?: ReadonlySet<string>): Promise<ContainerRecord> {
    if (rec.state !== "running" || recorded?.has(rec.id) === false) return rec;
    const handler = this.#handlerOf(rec);
    const exit = handler ? await handler.runtime.exitInfo(rec.id, this.paths(rec.id).bundle) : undefined;
    return exit ? this.#recordExit(rec.id, exit) : rec;
  }

  /** The ids with a recorded exit, over every handler; undefined when a handler cannot tell. */
  #recordedExits(): ReadonlySet<string> | undefined {
    const out = new Set<string>();
    for (const h of this.ctx.handlers.all()) {
      if (!h.runtime.recordedExits) return undefined;
      for (const id of h.runtime.recordedExits()) out.add(id);
    }
    return out;
  }

  #handlerOf(rec: ContainerRecord): RuntimeHandler | undefined {
    const sandbox = this.ctx.store.sandboxes.find(rec.sandboxId);
    return sandbox ? this.ctx.handlers.get(sandbox.runtimeHandler) : undefined;
  }

  /** The handler of a container that must act now. @throws FailedPreconditionError */
  #requireHandler(rec: ContainerRecord): RuntimeHandler {
    const handler = this.#handlerOf(rec);
    if (!handler) throw new FailedPreconditionError(`container "${rec.id}" has no runtime handler`);
    return handler;
  }

  #recordExit(id: string, exit: ExitInfo): ContainerRecord {
    const cur = this.ctx.store.containers.get(id);
    if (cur.state === "exited") return cur;
    return this.#exited(id, {
      // The exit file's mtime has coarser clock ticks than ours; never before the start.
      finishedAt: exit.finishedAt > cur.startedAt ? exit.finishedAt : cur.startedAt + 1n,
      exitCode: exit.exitCode,
      reason: exitReason({ ...exit, oomKilled: exit.oomKilled || this.#oomKilledByCgroup(cur, exit) }),
    });
  }

  /**
   * conmon writes its `oom` marker when it handles the cgroup's OOM event, and on cgroup v1
   * it may handle the exit first and never write it (a SIGKILLed process's exit and the
   * event race). The cgroup's own OOM kill count settles it: a container that died of
   * SIGKILL in a cgroup where the OOM killer struck was OOM killed, as containerd reports.
   */
  #oomKilledByCgroup(rec: ContainerRecord, exit: ExitInfo): boolean {
    if (exit.exitCode !== 137) return false;
    const cg = (rec.info as { memoryCgroup?: { dir: string; version: "v1" | "v2" } | null }).memoryCgroup;
    return cg ? oomKillCount(cg) > 0 : false;
  }

  /** Records the exit and tells the event stream. */
  #exited(id: string, exit: { finishedAt: bigint; exitCode: number; reason: string; message?: string }): ContainerRecord {
    const rec = this.ctx.store.containers.updateState(id, "exited", exit);
    this.#emit(id, rec.sandboxId, "stopped");
    return rec;
  }

  #emit(id: string, sandboxId: string, type: PodEventType): void {
    this.ctx.events?.emit({ id, sandboxId, type, at: this.ctx.clock() });
  }

  #watch(id: string, handler: RuntimeHandler): void {
    handler.runtime
      .waitExit(id, this.paths(id).bundle)
      .then((exit) => this.ctx.store.containers.find(id) && this.#recordExit(id, exit))
      .catch((err) => this.ctx.log.debug(`watch container "${id}": ${String(err)}`));
  }

  /** StartContainer: only a created container can start. */
  async start(idOrPrefix: string): Promise<void> {
    const rec = await this.get(idOrPrefix);
    await this.#lock.run(rec.id, async () => {
      const cur = this.ctx.store.containers.get(rec.id);
      if (cur.state !== "created") throw new FailedPreconditionError(`container "${rec.id}" is ${cur.state}, not created`);
      const handler = this.#requireHandler(cur);
      // Taken before the start: a short-lived process can exit before `start` returns.
      const startedAt = this.ctx.clock();
      try {
        await handler.runtime.start(rec.id, (cur.info as { pid?: number }).pid);
      } catch (err) {
        this.#exited(rec.id, {
          finishedAt: this.ctx.clock(),
          exitCode: 128,
          reason: "StartError",
          message: String(err instanceof Error ? err.message : err),
        });
        throw err;
      }
      this.ctx.store.containers.updateState(rec.id, "running", { startedAt, expect: ["created"] });
      this.#emit(rec.id, rec.sandboxId, "started");
      this.#watch(rec.id, handler);
    });
  }

  /**
   * StopContainer: the stop signal (config, then image, then SIGTERM), SIGKILL after
   * `timeoutSec`. Idempotent; an unknown id is fine (api.proto).
   */
  async stop(idOrPrefix: string, timeoutSec: number): Promise<void> {
    const rec = await this.#findForIdempotent(idOrPrefix);
    if (!rec) return;
    await this.#lock.run(rec.id, async () => {
      const cur = await this.#refresh(this.ctx.store.containers.get(rec.id));
      const handler = this.#handlerOf(cur);
      if (!handler || cur.state === "exited") return;
      const signal = this.#stopSignal(cur);
      const exit = await handler.runtime.stop(rec.id, cur.state === "created" ? "KILL" : signal, Math.max(0, timeoutSec) * 1000, this.paths(rec.id).bundle);
      if (exit) this.#recordExit(rec.id, exit);
      else this.#exited(rec.id, { finishedAt: this.ctx.clock(), exitCode: 137, reason: "Error" });
    });
  }

  #stopSignal(rec: ContainerRecord): string {
    const config = containerConfigOf(rec);
    if (config.stopSignal !== Signal.RUNTIME_DEFAULT) return Signal[config.stopSignal] ?? "SIGTERM";
    const image = this.ctx.store.images.find(rec.imageId);
    const fromImage = image ? imageConfigOf(image).config.stopSignal : undefined;
    return fromImage || "SIGTERM";
  }

  /**
   * RemoveContainer: a running container is killed first (api.proto: "If the container
   * is running, the container must be forcibly removed"). Idempotent.
   */
  async remove(idOrPrefix: string): Promise<void> {
    const rec = await this.#findForIdempotent(idOrPrefix);
    if (!rec) return;
    if (rec.state === "running" || rec.state === "created") await this.stop(rec.id, 0);
    await this.#lock.run(rec.id, async () => {
      if (!this.ctx.store.containers.find(rec.id)) return;
      await this.#teardown(rec.id, this.#handlerOf(rec));
      this.ctx.store.containers.delete(rec.id);
      this.#layers.drop(rec.id);
      this.#emit(rec.id, rec.sandboxId, "deleted");
    });
  }

  /**
   * UpdateContainerResources: new cgroup limits for a created or running container (the
   * kubelet's in-place resize), applied by the runtime, then kept in the stored config so
   * ContainerStatus reports them.
   */
  async updateResources(idOrPrefix: string, linux: LinuxContainerResources | undefined): Promise<void> {
    if (!linux) throw new InvalidArgumentError("linux", "is required on Linux");
    const resources = toOciResources(linux, "linux");
    const rec = await this.get(idOrPrefix);
    await this.#lock.run(rec.id, async () => {
      const cur = await this.#refresh(this.ctx.store.containers.get(rec.id));
      if (cur.state !== "created" && cur.state !== "running") {
        throw new FailedPreconditionError(`container "${rec.id}" is ${cur.state}: only a created or running container can be updated`);
      }
      const handler = this.#requireHandler(cur);
      await handler.runtime.update(rec.id, resources);
      const config = containerConfigOf(cur);
      config.linux = { ...(config.linux ?? createLinuxContainerConfig()), resources: linux };
      this.ctx.store.containers.update(rec.id, { config: jsonContainerConfig(config) as JsonObject });
    });
  }

  /** Where conmon writes the container's log: its CRI log path, or a file in the bundle when it has none. */
  #runtimeLog(id: string, logPath: string): string {
    return logPath === "" ? path.join(this.paths(id).bundle, "ctr.log") : logPath;
  }

  /**
   * ReopenContainerLog: conmon reopens the log path, creating a new file after the kubelet
   * renamed the old one away; this returns once that file exists, because the kubelet
   * reads it right after the call. Only a running container has a log to reopen
   * (api.proto: on error no new file may be created, so nothing is touched first).
   */
  async reopenLog(idOrPrefix: string): Promise<void> {
    const rec = await this.get(idOrPrefix);
    if (rec.state !== "running") throw new FailedPreconditionError(`container "${rec.id}" is ${rec.state}, not running`);
    const handler = this.#requireHandler(rec);
    await handler.runtime.reopenLog(rec.id, this.paths(rec.id).bundle, this.#runtimeLog(rec.id, rec.logPath));
  }

  /** ExecSync: runs `cmd` in the running container, killed at the deadline. */
  async execSync(idOrPrefix: string, cmd: string[], timeoutSec: number): Promise<ExecResult> {
    if (cmd.length === 0) throw new InvalidArgumentError("cmd", "is required");
    if (timeoutSec < 0) throw new InvalidArgumentError("timeout", `${timeoutSec} is negative`);
    const rec = await this.get(idOrPrefix);
    if (rec.state !== "running") throw new FailedPreconditionError(`container "${rec.id}" is not running`);
    const handler = this.#requireHandler(rec);
    // The runtime takes env, cwd, user and privileges from the container's own config.json.
    return handler.runtime.execSync(rec.id, this.paths(rec.id).bundle, { args: cmd }, timeoutSec * 1000, execSyncOutputCap(this.ctx.config.server.maxSendMessageBytes));
  }

  /**
   * A running container's id, bundle dir and runtime, for the streaming server's exec and
   * attach. @throws NotFoundError, FailedPreconditionError when it is not running
   */
  async running(idOrPrefix: string): Promise<{ rec: ContainerRecord; bundle: string; runtime: RuntimeHandler["runtime"] }> {
    const rec = await this.get(idOrPrefix);
    if (rec.state !== "running") throw new FailedPreconditionError(`container "${rec.id}" is ${rec.state}, not running`);
    return { rec, bundle: this.paths(rec.id).bundle, runtime: this.#requireHandler(rec).runtime };
  }

  /**
   * What the container uses now: its cgroup's CPU and memory while it runs, and its
   * writable layer, which lives on the filesystem of `paths.root` (`fsMountpoint`).
   */
  async usage(rec: ContainerRecord): Promise<ContainerUsage & { fsMountpoint: string }> {
    const u = await containerUsage(rec, this.#layers.get(rec.id, this.paths(rec.id).upper), this.ctx.clock());
    return { ...u, fsMountpoint: this.ctx.config.paths.root };
  }

  /** The containers, their exits folded in. */
  async list(filter: { sandboxId?: string } = {}): Promise<ContainerRecord[]> {
    const out: ContainerRecord[] = [];
    const recorded = this.#recordedExits();
    for (const rec of this.ctx.store.containers.list(filter)) {
      if (rec.state === "creating") continue;
      out.push(await this.#refresh(rec, recorded));
    }
    return out;
  }

  /**
   * After a restart: a container still "creating" is undone; running ones are watched
   * again, or recorded as exited when they ended while skiff was down.
   */
  async recover(): Promise<void> {
    for (const rec of this.ctx.store.containers.list()) {
      const handler = this.#handlerOf(rec);
      try {
        if (rec.state === "creating") {
          await settleStragglers(rec.id, this.ctx.log);
          await this.#teardown(rec.id, handler);
          this.ctx.store.containers.delete(rec.id);
        } else if (rec.state === "running" && handler) {
          const cur = await this.#refresh(rec);
          if (cur.state === "running") this.#watch(rec.id, handler);
        }
      } catch (err) {
        this.ctx.log.error(`recover container "${rec.id}": ${String(err)}`);
      }
    }
  }
}
