/**
 * Containers on Windows: CreateContainer makes the compute system (the spec of
 * oci/windows.ts, on a scratch over the image's layers, in the pod's namespace),
 * StartContainer starts it and its init process with output to the CRI log, and the
 * init process's end is recorded as the container's exit. Every step can be undone from
 * the id alone.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContainerConfig, LinuxContainerResources, Mount, WindowsContainerResources } from "../../gen/runtime/v1/api_pb.ts";
import { Signal, jsonContainerConfig } from "../../wire/gen/runtime-v1.ts";
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, NotSupportedError } from "../../errors.ts";
import { checkContainerConfig } from "../../container/container-config-check.ts";
import { containerConfigOf, execSyncOutputCap } from "../../container/container-record.ts";
import { containerLogPath } from "../../container/container-paths.ts";
import type { ContainerUsage } from "../../container/container-usage.ts";
import { imageConfigOf, layerPathsOf } from "../../container/image-config.ts";
import type { ContainerService } from "../../cri/pods.ts";
import { buildSpec } from "../../oci/build.ts";
import type { Spec } from "../../oci/spec.ts";
import { isNamedPipe } from "../../oci/opts/windows.ts";
import { requestedScratchBytes, windowsContainerSpecOpts, windowsSnapshotLabels } from "../../oci/windows.ts";
import { sandboxConfigOf } from "../../sandbox/sandbox-record.ts";
import { newId } from "../../sandbox/new-id.ts";
import type { ContainerRecord, JsonObject } from "../../store/index.ts";
import { liveRecord, podContainersOf, unlessNotFound } from "../../store/live-records.ts";
import type { ExecResult } from "../linux/oci-runtime.ts";
import { KeyedLock } from "../keyed-lock.ts";
import { planWindowsUpdate, updatedConfig } from "./container-update.ts";
import { readStatistics } from "./hcs-statistics.ts";
import { withIsolation } from "./windows-handlers.ts";
import type { WindowsSandboxes } from "./windows-sandboxes.ts";
import { emitEvent, type WindowsPaths, type WindowsPodContext, windowsPaths } from "./windows-pod-context.ts";

/**
 * The mounts with each host directory made when missing and resolved (symlinks followed,
 * cleaned), as containerd does on Windows before building the spec; pipes are left alone.
 */
function resolveMountSources(mounts: readonly Mount[]): Mount[] {
  return mounts.map((m, i) => {
    if (isNamedPipe(m.hostPath)) return m;
    if (!path.isAbsolute(m.hostPath)) throw new InvalidArgumentError(`config.mounts[${i}].host_path`, `"${m.hostPath}" is not an absolute path`);
    if (!fs.existsSync(m.hostPath)) fs.mkdirSync(m.hostPath, { recursive: true });
    return { ...m, hostPath: path.resolve(fs.realpathSync(m.hostPath)) };
  });
}

export class WindowsContainers implements ContainerService {
  readonly #lock = new KeyedLock();

  constructor(
    private readonly ctx: WindowsPodContext,
    private readonly sandboxes: WindowsSandboxes,
  ) {
    sandboxes.attachContainers(podContainersOf(ctx.store.containers, this));
  }

  paths(id: string): WindowsPaths {
    return windowsPaths(this.ctx.config.paths, id);
  }

  async create(podSandboxId: string, config: ContainerConfig | undefined): Promise<string> {
    if (podSandboxId === "") throw new InvalidArgumentError("pod_sandbox_id", "is required");
    checkContainerConfig(config);
    const sandbox = this.sandboxes.get(podSandboxId);
    if (sandbox.state !== "ready") throw new FailedPreconditionError(`sandbox "${sandbox.id}" is not ready`);
    const sandboxConfig = sandboxConfigOf(sandbox);
    const image = this.ctx.images.resolve(config.image!.image);
    if (!image) throw new NotFoundError(`image "${config.image!.image}" not found`);
    const handler = this.ctx.handlers.resolve(sandbox.runtimeHandler);
    const ns = sandbox.netns.net ?? "";
    const mounts = resolveMountSources(config.mounts);
    const spec = withIsolation(
      buildSpec(
        handler.baseSpec,
        windowsContainerSpecOpts({ sandboxId: sandbox.id, config: { ...config, mounts }, sandboxConfig, image: { name: config.image!.image, spec: imageConfigOf(image) }, handler: handler.config, networkNamespace: ns }),
      ),
      handler,
    );
    if (spec.annotations?.["microsoft.com/hostprocess-container"] === "true") {
      throw new NotSupportedError("HostProcess containers run as job objects on the host (hcsshim's job containers), which skiff does not build yet");
    }
    const labels = windowsSnapshotLabels(config);
    const sizeBytes = requestedScratchBytes(labels);
    const id = newId();
    const logPath = containerLogPath(sandboxConfig.logDirectory, config.logPath);
    this.ctx.store.containers.create({
      id,
      sandboxId: sandbox.id,
      metadata: { name: config.metadata!.name, attempt: config.metadata!.attempt },
      config: jsonContainerConfig(config) as JsonObject,
      imageRef: image.refs.find((r) => r.includes("@")) ?? image.id,
      imageId: image.id,
      logPath,
      info: { chainId: image.chainId, snapshotLabels: labels },
    });
    return this.#lock.run(id, async () => {
      try {
        const p = this.paths(id);
        await this.ctx.systems.create(
          {
            id,
            spec,
            schemaVersion: handler.config.hcsSchemaVersion,
            networkNamespace: ns,
            storage: { scratch: p.scratch, layers: layerPathsOf(this.ctx.store.images, image), sizeBytes },
            keepResourcesOnFailure: handler.config.hcsKeepResourcesOnFailure,
          },
          p.bundle,
          this.ctx.vms.get(sandbox.id),
        );
        if (logPath !== "") fs.mkdirSync(path.dirname(logPath), { recursive: true });
        this.ctx.store.containers.updateState(id, "created", { expect: ["creating"] });
        emitEvent(this.ctx, id, sandbox.id, "created");
      } catch (err) {
        if (handler.config.hcsKeepResourcesOnFailure) {
          this.ctx.log.warn(`create container "${id}" failed; its resources are kept for debugging (hcs_keep_resources_on_failure): ${String(err)}`);
          throw err;
        }
        this.ctx.log.warn(`create container "${id}" failed, undoing: ${String(err)}`);
        await this.#teardown(id).catch((e) => this.ctx.log.error(`undo container "${id}": ${String(e)}`));
        this.ctx.store.containers.delete(id);
        throw err;
      }
      return id;
    });
  }

  async #teardown(id: string): Promise<void> {
    const p = this.paths(id);
    await this.ctx.systems.remove(id, fs.existsSync(p.scratch) ? { scratch: p.scratch } : undefined);
    fs.rmSync(p.bundle, { recursive: true, force: true });
    fs.rmSync(p.scratch, { recursive: true, force: true });
  }

  async get(idOrPrefix: string, field = "container_id"): Promise<ContainerRecord> {
    return liveRecord(this.ctx.store.containers, idOrPrefix, field, "container");
  }

  /** Records the exit once, then shuts the compute system down (it has nothing left to run). */
  async #exited(id: string, exitCode: number, reason?: string, message?: string): Promise<void> {
    const cur = this.ctx.store.containers.find(id);
    if (!cur || cur.state === "exited") return;
    const finishedAt = this.ctx.clock();
    const rec = this.ctx.store.containers.updateState(id, "exited", {
      finishedAt: finishedAt > cur.startedAt ? finishedAt : cur.startedAt + 1n,
      exitCode,
      reason: reason ?? (exitCode === 0 ? "Completed" : "Error"),
      message,
    });
    emitEvent(this.ctx, id, rec.sandboxId, "stopped");
    await this.ctx.systems.shutDown(id);
  }

  async start(idOrPrefix: string): Promise<void> {
    const rec = await this.get(idOrPrefix);
    await this.#lock.run(rec.id, async () => {
      const cur = this.ctx.store.containers.get(rec.id);
      if (cur.state !== "created") throw new FailedPreconditionError(`container "${rec.id}" is ${cur.state}, not created`);
      const startedAt = this.ctx.clock();
      let exit: Promise<number>;
      try {
        ({ exit } = await this.ctx.systems.start(rec.id, cur.logPath));
      } catch (err) {
        this.ctx.store.containers.updateState(rec.id, "running", { startedAt, expect: ["created"] });
        await this.#exited(rec.id, 128, "StartError", String(err instanceof Error ? err.message : err));
        throw err;
      }
      this.ctx.store.containers.updateState(rec.id, "running", { startedAt, expect: ["created"] });
      emitEvent(this.ctx, rec.id, rec.sandboxId, "started");
      exit
        .then((code) => this.#lock.run(rec.id, () => this.#exited(rec.id, code)))
        .catch((err) => this.ctx.log.debug(`watch container "${rec.id}": ${String(err)}`));
    });
  }

  /** The stop signal is SIGTERM (CtrlShutdown) unless the config or image asks for SIGKILL (terminate at once). */
  #graceful(rec: ContainerRecord): boolean {
    const config = containerConfigOf(rec);
    if (config.stopSignal !== Signal.RUNTIME_DEFAULT) return config.stopSignal !== Signal.SIGKILL;
    const image = this.ctx.store.images.find(rec.imageId);
    const fromImage = image ? imageConfigOf(image).config.stopSignal : undefined;
    return !/^(SIG)?KILL$|^9$/i.test(fromImage ?? "");
  }

  async stop(idOrPrefix: string, timeoutSec: number): Promise<void> {
    const rec = await unlessNotFound(() => this.get(idOrPrefix));
    if (!rec) return;
    const code = await this.#lock.run(rec.id, async () => {
      const cur = this.ctx.store.containers.find(rec.id);
      if (!cur || cur.state === "exited") return undefined;
      if (cur.state === "created") {
        await this.#exited(rec.id, 0, "Error", "stopped before it started");
        return undefined;
      }
      return this.ctx.systems.stopInit(rec.id, Math.max(0, timeoutSec) * 1000, this.#graceful(cur));
    });
    if (code !== undefined) await this.#lock.run(rec.id, () => this.#exited(rec.id, code));
  }

  async remove(idOrPrefix: string): Promise<void> {
    const rec = await unlessNotFound(() => this.get(idOrPrefix));
    if (!rec) return;
    if (rec.state === "running" || rec.state === "created") await this.stop(rec.id, 0);
    await this.#lock.run(rec.id, async () => {
      if (!this.ctx.store.containers.find(rec.id)) return;
      await this.#teardown(rec.id);
      this.ctx.store.containers.delete(rec.id);
      emitEvent(this.ctx, rec.id, rec.sandboxId, "deleted");
    });
  }

  async execSync(idOrPrefix: string, cmd: string[], timeoutSec: number): Promise<ExecResult> {
    if (cmd.length === 0) throw new InvalidArgumentError("cmd", "is required");
    if (timeoutSec < 0) throw new InvalidArgumentError("timeout", `${timeoutSec} is negative`);
    const rec = await this.get(idOrPrefix);
    if (rec.state !== "running") throw new FailedPreconditionError(`container "${rec.id}" is not running`);
    return this.ctx.systems.exec(rec.id, cmd, timeoutSec * 1000, execSyncOutputCap(this.ctx.config.server.maxSendMessageBytes));
  }

  /** UpdateContainerResources: the spec merged, the running system modified (container-update.ts), the status's figures kept. */
  async updateResources(idOrPrefix: string, _linux: LinuxContainerResources | undefined, windows?: WindowsContainerResources): Promise<void> {
    const rec = await this.get(idOrPrefix);
    await this.#lock.run(rec.id, async () => {
      const cur = this.ctx.store.containers.get(rec.id);
      const file = path.join(this.paths(rec.id).bundle, "config.json");
      const plan = planWindowsUpdate(JSON.parse(fs.readFileSync(file, "utf8")) as Spec, windows, {
        id: rec.id,
        state: cur.state,
        processors: this.ctx.vms.get(cur.sandboxId)?.processorCount ?? this.ctx.host.processorCount(),
        build: this.ctx.hostBuild,
      });
      for (const r of plan.requests) await this.ctx.systems.modify(rec.id, JSON.stringify(r));
      fs.writeFileSync(file, JSON.stringify(plan.spec, null, 2));
      this.ctx.systems.setSpec(rec.id, plan.spec);
      const config = updatedConfig(containerConfigOf(cur), windows!);
      this.ctx.store.containers.update(rec.id, { config: jsonContainerConfig(config) as JsonObject });
    });
  }

  async reopenLog(idOrPrefix: string): Promise<void> {
    const rec = await this.get(idOrPrefix);
    if (rec.state !== "running") throw new FailedPreconditionError(`container "${rec.id}" is ${rec.state}, not running`);
    this.ctx.systems.reopenLog(rec.id);
  }

  /** CPU and memory from HCS statistics while it runs; the writable layer is its sandbox.vhdx. */
  async usage(rec: ContainerRecord): Promise<ContainerUsage & { fsMountpoint: string }> {
    const timestamp = this.ctx.clock();
    const vhdx = path.join(this.paths(rec.id).scratch, "sandbox.vhdx");
    const bytes = BigInt(fs.statSync(vhdx, { throwIfNoEntry: false })?.size ?? 0);
    const cgroup = rec.state === "running" ? await this.ctx.systems.statistics(rec.id).then(readStatistics, () => undefined) : undefined;
    return { timestamp, cgroup, layer: { bytes, inodes: 0n }, fsMountpoint: this.ctx.config.paths.root };
  }

  async list(filter: { sandboxId?: string } = {}): Promise<ContainerRecord[]> {
    return this.ctx.store.containers.list(filter).filter((c) => c.state !== "creating");
  }

  /**
   * After a restart: "creating" ones are undone. Created or running ones lost their
   * compute system with skiff's handles (or, with schema 1.0, can no longer be followed):
   * any left is ended, and the container is recorded exited.
   */
  async recover(): Promise<void> {
    for (const rec of this.ctx.store.containers.list()) {
      try {
        if (rec.state === "creating") {
          await this.#teardown(rec.id);
          this.ctx.store.containers.delete(rec.id);
        } else if (rec.state === "created" || rec.state === "running") {
          if (await this.ctx.systems.reopen(rec.id, { ociVersion: "1.1.0" }, {})) await this.ctx.systems.shutDown(rec.id);
          if (rec.state === "created") this.ctx.store.containers.updateState(rec.id, "running", { startedAt: this.ctx.clock(), expect: ["created"] });
          await this.#exited(rec.id, 255, "Error", "skiff restarted: HCS ends a container with the last handle to it");
        }
      } catch (err) {
        this.ctx.log.error(`recover container "${rec.id}": ${String(err)}`);
      }
    }
  }
}
