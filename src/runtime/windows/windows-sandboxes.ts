/**
 * Pod sandboxes on Windows, as containerd runs them: a store row first (which reserves
 * the name), then the pod's HNS network namespace, CNI ADD in it, and the pause
 * container: a compute system from the Windows sandbox spec, on a scratch over the
 * sandbox image's layers, joining that namespace. Every step is undone from the id alone
 * when a later one fails, and by a restart when a crash interrupted it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { LinuxContainerResources, PodSandboxConfig } from "../../gen/runtime/v1/api_pb.ts";
import { NamespaceMode, jsonPodSandboxConfig } from "../../wire/gen/runtime-v1.ts";
import { FailedPreconditionError, NotSupportedError } from "../../errors.ts";
import { imageConfigOf, layerPathsOf } from "../../container/image-config.ts";
import { buildSpec } from "../../oci/build.ts";
import { windowsSandboxSpecOpts } from "../../oci/windows.ts";
import type { PodContainers } from "../../sandbox/sandbox-manager.ts";
import { sandboxConfigOf } from "../../sandbox/sandbox-record.ts";
import { checkSandboxConfig } from "../../sandbox/sandbox-config-check.ts";
import { newId } from "../../sandbox/new-id.ts";
import { podNetworkRequest } from "../../sandbox/pod-network-request.ts";
import type { PodUsage } from "../../sandbox/pod-usage.ts";
import type { ImageRecord, JsonObject, SandboxRecord } from "../../store/index.ts";
import { liveRecord } from "../../store/live-records.ts";
import { KeyedLock } from "../keyed-lock.ts";
import type { SandboxService } from "../../cri/pods.ts";
import { endpointUsage } from "./endpoint-stats.ts";
import { isV21 } from "./hcs-document.ts";
import { readStatistics } from "./hcs-statistics.ts";
import { createNamespace, removeNamespace } from "./hns-namespace.ts";
import { chooseSchemaVersion } from "./schema-version.ts";
import { type WindowsHandler, withIsolation } from "./windows-handlers.ts";
import { endLeftoverVm, startXenonPod, stopXenonPod } from "./xenon-pod.ts";
import { emitEvent, type WindowsPaths, type WindowsPodContext, windowsPaths } from "./windows-pod-context.ts";

const hostNetwork = (c: PodSandboxConfig) => c.windows?.securityContext?.namespaceOptions?.network === NamespaceMode.NODE;

export class WindowsSandboxes implements SandboxService {
  readonly #lock = new KeyedLock();
  #containers: PodContainers | undefined;

  constructor(private readonly ctx: WindowsPodContext) {}

  attachContainers(c: PodContainers): void {
    this.#containers = c;
  }

  paths(id: string): WindowsPaths {
    return windowsPaths(this.ctx.config.paths, id);
  }

  async run(config: PodSandboxConfig | undefined, runtimeHandler: string): Promise<string> {
    checkSandboxConfig(config);
    if (config.windows?.securityContext?.hostProcess) {
      throw new NotSupportedError("HostProcess pods run as job objects on the host (hcsshim's job containers), which skiff does not build yet");
    }
    const handler = this.ctx.handlers.resolve(runtimeHandler);
    const xenon = handler.config.sandboxIsolation === "hyperv" && isV21(this.#schema(handler));
    const ref = this.ctx.config.image.sandboxImage;
    if (ref === "") throw new FailedPreconditionError("image.sandbox_image is empty: Windows pods need a pause image (e.g. registry.k8s.io/pause)");
    const image = this.ctx.images.resolve(ref) ?? (await this.ctx.images.pull(ref));
    const id = newId();
    this.ctx.store.sandboxes.create({
      id,
      metadata: { name: config.metadata!.name, namespace: config.metadata!.namespace, uid: config.metadata!.uid, attempt: config.metadata!.attempt },
      config: jsonPodSandboxConfig(config) as JsonObject,
      runtimeHandler: handler.name,
      info: { requestedHandler: runtimeHandler, chainId: image.chainId, ...(xenon ? { xenon: true } : {}) },
    });
    return this.#lock.run(id, async () => {
      try {
        const ips = await this.#setUp(id, config, handler, { name: ref, image });
        this.ctx.store.sandboxes.updateState(id, "ready", { ips });
        emitEvent(this.ctx, id, id, "created");
        emitEvent(this.ctx, id, id, "started");
      } catch (err) {
        if (handler.config.hcsKeepResourcesOnFailure) {
          this.ctx.log.warn(`run sandbox "${id}" failed; its resources are kept for debugging (hcs_keep_resources_on_failure): ${String(err)}`);
          throw err;
        }
        this.ctx.log.warn(`run sandbox "${id}" failed, undoing: ${String(err)}`);
        await this.#teardown(id, config).catch((e) => this.ctx.log.error(`undo sandbox "${id}": ${String(e)}`));
        this.ctx.store.sandboxes.delete(id);
        throw err;
      }
      return id;
    });
  }

  #schema(handler: WindowsHandler) {
    return chooseSchemaVersion(this.ctx.hostBuild, handler.config.hcsSchemaVersion).version;
  }

  async #setUp(id: string, config: PodSandboxConfig, handler: WindowsHandler, sandboxImage: { name: string; image: ImageRecord }): Promise<string[]> {
    const { store, host, network } = this.ctx;
    const p = this.paths(id);
    let ns = "";
    if (!hostNetwork(config) && isV21(this.#schema(handler))) {
      ns = await createNamespace(host.hns);
      store.sandboxes.update(id, { netns: { net: ns } });
    }
    const ips = hostNetwork(config) ? [] : (await network.setUp(podNetworkRequest(id, config, ns))).ips;
    const spec = withIsolation(
      buildSpec(
        handler.baseSpec,
        windowsSandboxSpecOpts({ id, config, image: { name: sandboxImage.name, spec: imageConfigOf(sandboxImage.image) }, handler: handler.config, networkNamespace: ns }),
      ),
      handler,
    );
    const layers = layerPathsOf(store.images, sandboxImage.image);
    if (this.#isXenon(id)) {
      const { vm, document } = await startXenonPod(host, { id, owner: this.ctx.owner, spec, layers, scratch: p.scratch, networkNamespace: ns });
      this.ctx.vms.set(id, vm);
      fs.mkdirSync(p.bundle, { recursive: true });
      fs.writeFileSync(path.join(p.bundle, "config.json"), JSON.stringify(spec, null, 2));
      fs.writeFileSync(path.join(p.bundle, "hcs.json"), document);
      return ips;
    }
    await this.ctx.systems.create(
      {
        id,
        spec,
        schemaVersion: handler.config.hcsSchemaVersion,
        networkNamespace: ns,
        storage: { scratch: p.scratch, layers, sizeBytes: 0 },
        keepResourcesOnFailure: handler.config.hcsKeepResourcesOnFailure,
      },
      p.bundle,
    );
    const { exit } = await this.ctx.systems.start(id, "");
    this.#watch(id, exit);
    return ips;
  }

  /** The pause process ending makes the pod not ready (CRI: SANDBOX_NOTREADY). */
  #watch(id: string, exit: Promise<number>): void {
    exit
      .catch(() => undefined)
      .then(() => {
        if (this.ctx.store.sandboxes.find(id)?.state !== "ready") return;
        this.ctx.store.sandboxes.updateState(id, "notready", { expect: ["ready"] });
        emitEvent(this.ctx, id, id, "stopped");
      })
      .catch((err) => this.ctx.log.debug(`watch sandbox "${id}": ${String(err)}`));
  }

  /** A Hyper-V isolated pod on schema 2.1: a utility VM and no pause container. */
  #isXenon(id: string): boolean {
    return (this.ctx.store.sandboxes.find(id)?.info as { xenon?: unknown } | undefined)?.xenon === true;
  }

  /** Ends the sandbox (the pause container, or the utility VM); a stopped one is left alone. */
  async #end(id: string): Promise<void> {
    const vm = this.ctx.vms.get(id);
    this.ctx.vms.delete(id);
    if (vm) await stopXenonPod(vm, (m) => this.ctx.log.warn(m));
    else if (!this.#isXenon(id)) {
      await this.ctx.systems.stopInit(id, 0, false);
      await this.ctx.systems.shutDown(id);
    }
  }

  /** Removes the pause container (or the VM), its storage, the network and the namespace; each step tolerates finding its work undone. */
  async #teardown(id: string, config: PodSandboxConfig | undefined): Promise<void> {
    const p = this.paths(id);
    if (this.#isXenon(id)) await this.#end(id);
    else await this.ctx.systems.remove(id, fs.existsSync(p.scratch) ? { scratch: p.scratch } : undefined);
    await this.#networkDown(id, config);
    fs.rmSync(p.bundle, { recursive: true, force: true });
    fs.rmSync(p.scratch, { recursive: true, force: true });
  }

  async #networkDown(id: string, config: PodSandboxConfig | undefined): Promise<void> {
    const ns = this.ctx.store.sandboxes.find(id)?.netns.net ?? "";
    if (config && !hostNetwork(config)) await this.ctx.network.tearDown(podNetworkRequest(id, config, ns));
    if (ns !== "") {
      await removeNamespace(this.ctx.host.hns, ns);
      this.ctx.store.sandboxes.update(id, { netns: {} });
    }
  }

  async stop(id: string): Promise<void> {
    await this.#lock.run(id, async () => {
      const rec = this.ctx.store.sandboxes.find(id);
      if (!rec || rec.state === "removing") return;
      await this.#containers?.stopAll(id);
      await this.#end(id);
      await this.#networkDown(id, sandboxConfigOf(rec));
      if (this.ctx.store.sandboxes.find(id)?.state !== "notready") {
        this.ctx.store.sandboxes.updateState(id, "notready", { ips: [] });
        emitEvent(this.ctx, id, id, "stopped");
      } else this.ctx.store.sandboxes.update(id, { ips: [] });
    });
  }

  async remove(id: string): Promise<void> {
    const rec = this.ctx.store.sandboxes.find(id);
    if (!rec) return;
    if (rec.state !== "notready" && rec.state !== "removing") await this.stop(id);
    await this.#lock.run(id, async () => {
      const cur = this.ctx.store.sandboxes.find(id);
      if (!cur) return;
      if (cur.state !== "removing") this.ctx.store.sandboxes.updateState(id, "removing");
      await this.#containers?.removeAll(id);
      await this.#teardown(id, sandboxConfigOf(cur));
      this.ctx.store.sandboxes.delete(id);
      emitEvent(this.ctx, id, id, "deleted");
    });
  }

  get(idOrPrefix: string, field = "pod_sandbox_id"): SandboxRecord {
    return liveRecord(this.ctx.store.sandboxes, idOrPrefix, field, "sandbox");
  }

  list(): SandboxRecord[] {
    return this.ctx.store.sandboxes.list().filter((s) => s.state !== "creating");
  }

  /**
   * What the pod itself uses, for the `windows` part of its stats (the caller adds its running
   * containers'): the pause container's HCS statistics (a Hyper-V pod has none: containerd's
   * sandbox task there reports the VM, not a container), and its endpoints' traffic.
   */
  async usage(rec: SandboxRecord): Promise<PodUsage> {
    const timestamp = this.ctx.clock();
    if (rec.state !== "ready") return { timestamp, windows: {} };
    const infra = this.ctx.systems.has(rec.id) ? await this.ctx.systems.statistics(rec.id).then(readStatistics, () => undefined) : undefined;
    const ns = rec.netns.net ?? "";
    const endpoints =
      ns === ""
        ? undefined
        : await endpointUsage(this.ctx.host, ns).catch((err) => {
            this.ctx.log.debug(`network stats of sandbox "${rec.id}": ${String(err)}`);
            return undefined;
          });
    return { timestamp, infra, windows: { endpoints } };
  }

  async updateResources(idOrPrefix: string, _overhead: LinuxContainerResources | undefined, _resources: LinuxContainerResources | undefined): Promise<void> {
    this.get(idOrPrefix);
    throw new NotSupportedError("UpdatePodSandboxResources is not built for Windows pods (their figures are Linux cgroup ones)");
  }

  /**
   * After a restart: a sandbox still "creating" is undone and one "removing" removed. A
   * ready one has lost its pause container (HCS ended it with skiff's handles), so it is
   * not ready any more; its network stays until StopPodSandbox.
   */
  async recover(): Promise<void> {
    for (const rec of this.ctx.store.sandboxes.list()) {
      try {
        if (rec.state === "creating") {
          await this.#containers?.removeAll(rec.id);
          await this.#teardown(rec.id, sandboxConfigOf(rec));
          this.ctx.store.sandboxes.delete(rec.id);
        } else if (rec.state === "removing") {
          await this.remove(rec.id);
        } else if (rec.state === "ready") {
          if (this.#isXenon(rec.id)) await endLeftoverVm(this.ctx.host.hcs, rec.id);
          else if (await this.ctx.systems.reopen(rec.id, { ociVersion: "1.1.0" }, {})) await this.ctx.systems.remove(rec.id);
          this.ctx.store.sandboxes.updateState(rec.id, "notready", { expect: ["ready"] });
        }
      } catch (err) {
        this.ctx.log.error(`recover sandbox "${rec.id}": ${String(err)}`);
      }
    }
  }
}
