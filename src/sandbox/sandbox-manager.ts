/**
 * Pod sandboxes on Linux: RunPodSandbox, StopPodSandbox, RemovePodSandbox and the state
 * behind PodSandboxStatus. Each sandbox is a store row first (which reserves its name),
 * then pinned namespaces (with the pod's sysctls written inside), a /dev/shm, the pod's
 * files, its network and, only for pods whose containers share a PID namespace (or whose
 * handler asks for it), an infra process. Every step can be undone from the id alone
 * (`teardown`), so a failed run and a restart after a crash clean up the same way.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import type { LinuxContainerResources, PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { NamespaceMode, createLinuxPodSandboxConfig, jsonPodSandboxConfig } from "../wire/gen/runtime-v1.ts";
import { toOciResources } from "../oci/opts/resources.ts";
import { NotFoundError } from "../errors.ts";
import { NSFS_MAGIC } from "../platform/constants.ts";
import type { NamespaceKind } from "../platform/types.ts";
import { KeyedLock } from "../runtime/keyed-lock.ts";
import { readOr } from "../runtime/read-or.ts";
import { settleStragglers } from "../runtime/stragglers.ts";
import type { PodEventType } from "./pod-events.ts";
import { type PodUsage, podUsage } from "./pod-usage.ts";
import { stepTimer } from "../runtime/step-timer.ts";
import type { RuntimeHandler } from "../runtime/runtime-handlers.ts";
import type { JsonObject, SandboxRecord } from "../store/index.ts";
import { liveRecord } from "../store/live-records.ts";
import { mountShm, unmountAll } from "../container/mounts.ts";
import { imageConfigOf, layerPathsOf } from "../container/image-config.ts";
import { hostInfra, imageInfra, needsInfraProcess } from "./infra.ts";
import { sandboxSysctls } from "../oci/sandbox.ts";
import { type PodSysctl, podSysctls } from "../oci/sysctls.ts";
import { type InfraPlan, startInfra } from "./infra-start.ts";
import { podNetworkRequest } from "./pod-network-request.ts";
import { isAlive } from "../runtime/linux/process-identity.ts";
import { newId } from "./new-id.ts";
import { sandboxConfigOf } from "./sandbox-record.ts";
import { checkSandboxConfig } from "./sandbox-config-check.ts";
import { hasDnsConfig, hostnameFile, podHostsFile, resolvConfFile } from "./pod-files.ts";
import type { PodContext } from "./pod-context.ts";
import { sandboxPaths, type SandboxPaths } from "./sandbox-paths.ts";

const ALL_PINS: readonly NamespaceKind[] = ["net", "uts", "ipc"];
/** How long StopPodSandbox waits for the infra process to be gone after SIGKILL. */
const INFRA_STOP_TIMEOUT_MS = 2_000;

/** What the sandbox manager needs of the container manager. */
export type PodContainers = {
  /** Stops every container of the sandbox (timeout 0: at once). */
  stopAll(sandboxId: string): Promise<void>;
  /** Removes every container of the sandbox, running or not. */
  removeAll(sandboxId: string): Promise<void>;
};

function modes(config: PodSandboxConfig) {
  const ns = config.linux?.securityContext?.namespaceOptions;
  return { hostNet: ns?.network === NamespaceMode.NODE, hostIpc: ns?.ipc === NamespaceMode.NODE };
}

/** The namespaces skiff makes and pins for a pod (the rest are the host's). */
function ownNamespaces(config: PodSandboxConfig): NamespaceKind[] {
  const { hostNet, hostIpc } = modes(config);
  return ALL_PINS.filter((k) => (k === "ipc" ? !hostIpc : !hostNet));
}

/** What a sandbox record keeps in `info` about its infra process. */
type InfraInfo = { infra?: boolean; pid?: unknown; startTime?: unknown };

/** Whether the sandbox has (or was being given) an infra process; rows from before pods without one always had it. */
function hasInfra(rec: SandboxRecord): boolean {
  return (rec.info as InfraInfo).infra !== false;
}

export class SandboxManager {
  readonly #lock = new KeyedLock();
  #containers: PodContainers | undefined;

  constructor(private readonly ctx: PodContext) {}

  /** Set once the container manager exists (they need each other). */
  attachContainers(c: PodContainers): void {
    this.#containers = c;
  }

  paths(id: string): SandboxPaths {
    return sandboxPaths(this.ctx.config.paths, id);
  }

  /**
   * RunPodSandbox. The name is reserved by inserting the row; a second request for the
   * same name fails with AlreadyExists naming the holder (api.proto: names are unique).
   */
  async run(config: PodSandboxConfig | undefined, runtimeHandler: string): Promise<string> {
    checkSandboxConfig(config);
    const handler = this.ctx.handlers.resolve(runtimeHandler);
    // Checked before anything is made: runc would refuse these for an infra process too.
    const sysctls = podSysctls(sandboxSysctls({ config }), ownNamespaces(config));
    const infra = needsInfraProcess(config, handler.config) ? await this.#infraProcess() : undefined;
    const id = newId();
    this.ctx.store.sandboxes.create({
      id,
      metadata: { name: config.metadata!.name, namespace: config.metadata!.namespace, uid: config.metadata!.uid, attempt: config.metadata!.attempt },
      config: jsonPodSandboxConfig(config) as JsonObject,
      runtimeHandler: handler.name,
      // CRI reports the handler as asked for ("" for the default), as other runtimes do.
      // Whether an infra process is part of the pod is known before any step, so an undo
      // after a crash knows whether there is a runtime container to delete.
      info: { requestedHandler: runtimeHandler, infra: infra !== undefined },
    });
    return this.#lock.run(id, async () => {
      try {
        await this.#setUp(id, config, handler, infra, sysctls);
        this.#emit(id, "created");
        this.#emit(id, "started");
      } catch (err) {
        this.ctx.log.warn(`run sandbox "${id}" failed, undoing: ${String(err)}`);
        await this.#teardown(id, config, infra ? handler : undefined).catch((e) => this.ctx.log.error(`undo sandbox "${id}": ${String(e)}`));
        this.ctx.store.sandboxes.delete(id);
        throw err;
      }
      return id;
    });
  }

  async #infraProcess(): Promise<InfraPlan> {
    const ref = this.ctx.config.image.sandboxImage;
    if (ref === "") return { process: hostInfra(this.ctx.config.linux.infraPath) };
    const img = this.ctx.images.resolve(ref) ?? (await this.ctx.images.pull(ref));
    return { process: imageInfra(imageConfigOf(img)), image: { lowers: layerPathsOf(this.ctx.store.images, img), chainId: img.chainId } };
  }

  /**
   * `infra` is undefined for a pod without an infra process; `sysctls` (checked) are then
   * written into its namespaces as they are made, which the runtime does otherwise.
   */
  async #setUp(id: string, config: PodSandboxConfig, handler: RuntimeHandler, infra: InfraPlan | undefined, sysctls: PodSysctl[]): Promise<void> {
    const { platform, store, network } = this.ctx;
    const p = this.paths(id);
    const { hostNet, hostIpc } = modes(config);
    const t = stepTimer();
    fs.mkdirSync(p.dir, { recursive: true, mode: 0o711 });
    fs.mkdirSync(p.stateDir, { recursive: true, mode: 0o711 });

    const kinds = ownNamespaces(config);
    const pinOpts = { ...(hostNet || config.hostname === "" ? {} : { hostname: config.hostname }), ...(infra ? {} : { sysctls }) };
    const pins = kinds.length > 0 ? platform.pinNamespaces(kinds, p.pin, pinOpts) : {};
    // The sandbox image's layers stay out of garbage collection while the pod exists.
    const chainId = infra?.image?.chainId ?? null;
    const info = { ...store.sandboxes.get(id).info, chainId };
    store.sandboxes.update(id, { netns: pins, info });
    t.mark("namespaces");

    // CNI needs only the pinned network namespace: the plugins run while the rest of the
    // pod is made. Whatever happens here, ADD is waited for before this returns, so an
    // undo never races it.
    const named = pins as Partial<Record<NamespaceKind, string>>;
    const networkUp = hostNet ? Promise.resolve({ ips: [] as string[] }) : network.setUp(podNetworkRequest(id, config, named.net!));
    const hostname = hostNet ? os.hostname() : config.hostname;
    try {
      if (!hostIpc) mountShm(platform, p.shm, this.ctx.config.linux.shmSize);
      fs.writeFileSync(p.hostname, hostnameFile(hostname), { mode: 0o644 });
      fs.writeFileSync(p.resolvConf, hasDnsConfig(config.dnsConfig) ? resolvConfFile(config.dnsConfig) : readOr("/etc/resolv.conf", ""), { mode: 0o644 });
      fs.writeFileSync(p.hosts, hostNet ? readOr("/etc/hosts", "") : podHostsFile(hostname, []), { mode: 0o644 });
    } catch (err) {
      await networkUp.catch(() => {});
      throw err;
    }
    t.mark("shm+files");
    // The infra process needs the files too; it starts while CNI may still run.
    const [net, run] = await Promise.allSettled([
      networkUp,
      infra ? startInfra(this.ctx, { id, config, handler, infra, paths: p, pins: named, hostIpc }) : Promise.resolve(undefined),
    ]);
    if (net.status === "rejected") throw net.reason;
    if (run.status === "rejected") throw run.reason;
    const ips = net.value.ips;
    if (!hostNet) fs.writeFileSync(p.hosts, podHostsFile(hostname, ips), { mode: 0o644 });
    t.mark(infra ? "network+infra" : "network");
    const process: JsonObject = run.value ? { pid: run.value.pid, startTime: run.value.startTime } : {};
    store.sandboxes.updateState(id, "ready", { ips, info: { ...info, ...process } });
    this.ctx.log.debug(`run sandbox "${id}": ${t.summary()}`);
  }

  /** Whether the sandbox's infra process still runs (checked by pid and start time). */
  #infraAlive(rec: SandboxRecord): boolean {
    const { pid, startTime } = rec.info as InfraInfo;
    return typeof pid === "number" && typeof startTime === "string" && isAlive({ pid, startTime });
  }

  /**
   * A ready sandbox whose infra process is gone is not ready any more (CRI:
   * SANDBOX_NOTREADY). A pod without one is ready until it is stopped: its pinned
   * namespaces cannot die on their own.
   */
  #refresh(rec: SandboxRecord): SandboxRecord {
    if (rec.state !== "ready" || !hasInfra(rec) || this.#infraAlive(rec)) return rec;
    const cur = this.ctx.store.sandboxes.updateState(rec.id, "notready", { expect: ["ready"] });
    this.#emit(rec.id, "stopped");
    return cur;
  }

  /** A sandbox event carries the sandbox's own id, as containerd's do. */
  #emit(id: string, type: PodEventType): void {
    this.ctx.events?.emit({ id, sandboxId: id, type, at: this.ctx.clock() });
  }

  /**
   * Undoes everything a sandbox set up on the host, in reverse; each step tolerates
   * finding its work already undone. `infraHandler` is the handler of the pod's infra
   * process, undefined when it has none. The store row is the caller's business.
   */
  async #teardown(id: string, config: PodSandboxConfig | undefined, infraHandler: RuntimeHandler | undefined): Promise<void> {
    const { platform } = this.ctx;
    const p = this.paths(id);
    if (infraHandler) await infraHandler.runtime.delete(id, true);
    await this.#networkDown(id, config);
    unmountAll(platform, p.rootfs);
    this.#releaseNamespaces(id);
    fs.rmSync(p.stateDir, { recursive: true, force: true });
    fs.rmSync(p.dir, { recursive: true, force: true });
  }

  /** Unmounts the pod's /dev/shm and unpins its namespaces; idempotent. */
  #releaseNamespaces(id: string): void {
    const p = this.paths(id);
    unmountAll(this.ctx.platform, p.shm);
    for (const kind of ALL_PINS) this.ctx.platform.unpinNamespace(p.pin(kind));
  }

  async #networkDown(id: string, config: PodSandboxConfig | undefined): Promise<void> {
    if (!config || modes(config).hostNet) return;
    const pin = this.paths(id).pin("net");
    // CNI: DEL gets no netns when it is gone (a plain file left where a pin was, after a reboot).
    await this.ctx.network.tearDown(podNetworkRequest(id, config, this.#isPinned(pin) ? pin : ""));
  }

  /**
   * StopPodSandbox: stops every container, the infra process, tears the network down and
   * releases the namespaces and /dev/shm. Idempotent; an unknown id is fine (api.proto:
   * "If there are any running containers in the sandbox, they must be forcibly terminated").
   */
  async stop(id: string): Promise<void> {
    await this.#lock.run(id, async () => {
      const rec = this.ctx.store.sandboxes.find(id);
      if (!rec || rec.state === "removing") return;
      await this.#containers?.stopAll(id);
      const config = sandboxConfigOf(rec);
      const handler = this.ctx.handlers.get(rec.runtimeHandler);
      if (handler && hasInfra(rec) && this.#infraAlive(rec)) await this.#killInfra(rec, handler);
      await this.#networkDown(id, config);
      this.#releaseNamespaces(id);
      // Read again: a status call may have found the infra gone meanwhile (and said so).
      if (this.ctx.store.sandboxes.find(id)?.state !== "notready") {
        this.ctx.store.sandboxes.updateState(id, "notready", { ips: [] });
        this.#emit(id, "stopped");
      } else this.ctx.store.sandboxes.update(id, { ips: [] });
    });
  }

  /**
   * CNI CHECK of a pod found running after a restart: a network that changed while skiff
   * was down is logged for the operator. It does not fail the pod: some plugins (portmap
   * 1.1.1 with host ports) fail CHECK on healthy pods.
   */
  async #checkNetwork(rec: SandboxRecord): Promise<void> {
    const config = sandboxConfigOf(rec);
    if (modes(config).hostNet) return;
    try {
      await this.ctx.network.check(podNetworkRequest(rec.id, config, this.paths(rec.id).pin("net")));
      this.ctx.log.debug(`network check of sandbox "${rec.id}" ok`);
    } catch (err) {
      this.ctx.log.warn(`network check of sandbox "${rec.id}" after restart: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** SIGKILL to the infra process (it holds nothing), then wait for it to be gone. */
  async #killInfra(rec: SandboxRecord, handler: RuntimeHandler): Promise<void> {
    await handler.runtime.kill(rec.id, "KILL").catch((err) => this.ctx.log.debug(`kill infra of "${rec.id}": ${String(err)}`));
    const until = Date.now() + INFRA_STOP_TIMEOUT_MS;
    while (this.#infraAlive(rec) && Date.now() < until) await Bun.sleep(10);
  }

  /**
   * RemovePodSandbox: stops what runs, removes every container and everything the
   * sandbox made, then its row. Idempotent: an unknown id is fine (api.proto).
   */
  async remove(id: string): Promise<void> {
    const rec = this.ctx.store.sandboxes.find(id);
    if (!rec) return;
    if (rec.state !== "notready" && rec.state !== "removing") await this.stop(id);
    await this.#lock.run(id, async () => {
      const cur = this.ctx.store.sandboxes.find(id);
      if (!cur) return;
      if (cur.state !== "removing") this.ctx.store.sandboxes.updateState(id, "removing");
      await this.#containers?.removeAll(id);
      await this.#teardown(id, sandboxConfigOf(cur), this.#infraHandler(cur));
      this.ctx.store.sandboxes.delete(id);
      this.#emit(id, "deleted");
    });
  }

  /** Whether `pin` is a mounted namespace (not gone, nor a plain file left after a reboot). */
  #isPinned(pin: string): boolean {
    try {
      return this.ctx.platform.statfs(pin).type === NSFS_MAGIC;
    } catch {
      return false;
    }
  }

  /** Whether every namespace pin of the sandbox is still a mounted namespace. */
  #pinsHeld(rec: SandboxRecord): boolean {
    return Object.values(rec.netns as Record<string, string>).every((pin) => this.#isPinned(pin));
  }

  /** The handler that runs the sandbox's infra process; undefined when it has none. */
  #infraHandler(rec: SandboxRecord): RuntimeHandler | undefined {
    return hasInfra(rec) ? this.ctx.handlers.get(rec.runtimeHandler) : undefined;
  }

  /** The sandbox for an id or unique prefix. @throws NotFoundError */
  get(idOrPrefix: string, field = "pod_sandbox_id"): SandboxRecord {
    return this.#refresh(liveRecord(this.ctx.store.sandboxes, idOrPrefix, field, "sandbox"));
  }

  /**
   * UpdatePodSandboxResources: the kubelet has resized the pod's cgroup itself and tells
   * the runtime the new pod-level figures (api.proto: best effort). skiff keeps no pod
   * cgroup of its own, so there is nothing to apply: the figures are checked and stored
   * in the pod's config, where PodSandboxStatus's verbose info shows them.
   */
  async updateResources(idOrPrefix: string, overhead: LinuxContainerResources | undefined, resources: LinuxContainerResources | undefined): Promise<void> {
    if (overhead) toOciResources(overhead, "overhead");
    if (resources) toOciResources(resources, "resources");
    const rec = this.get(idOrPrefix);
    await this.#lock.run(rec.id, async () => {
      const cur = this.ctx.store.sandboxes.find(rec.id);
      if (!cur || cur.state === "removing") throw new NotFoundError(`sandbox "${idOrPrefix}" not found`);
      const config = sandboxConfigOf(cur);
      const linux = config.linux ?? createLinuxPodSandboxConfig();
      config.linux = { ...linux, overhead: overhead ?? linux.overhead, resources: resources ?? linux.resources };
      this.ctx.store.sandboxes.update(rec.id, { config: jsonPodSandboxConfig(config) as JsonObject });
    });
  }

  /**
   * What the pod's infra process (if any) and network interfaces use now (nothing while
   * the pod is not ready). The interfaces are read through the pinned network namespace,
   * so a pod without an infra process reports them too.
   */
  usage(rec: SandboxRecord): PodUsage {
    const now = this.ctx.clock();
    if (rec.state !== "ready") return { timestamp: now };
    const { pid } = rec.info as InfraInfo;
    const live = hasInfra(rec) && this.#infraAlive(rec) && typeof pid === "number" ? pid : undefined;
    const pin = (rec.netns as Partial<Record<NamespaceKind, string>>).net;
    let netDev: string | undefined;
    if (pin !== undefined && !modes(sandboxConfigOf(rec)).hostNet) {
      try {
        netDev = this.ctx.platform.readNetDev(pin);
      } catch (err) {
        this.ctx.log.debug(`read network usage of sandbox "${rec.id}": ${String(err)}`);
      }
    }
    return podUsage(live, netDev, now);
  }

  /** Every sandbox CRI may see: all but those still being created. */
  list(): SandboxRecord[] {
    return this.ctx.store.sandboxes
      .list()
      .filter((s) => s.state !== "creating")
      .map((s) => this.#refresh(s));
  }

  /**
   * After a restart: finishes what a crash interrupted. A sandbox still "creating" is
   * undone, one "removing" is removed; a ready one is marked not ready when its infra
   * exited while skiff was down, and otherwise has its network checked.
   */
  async recover(): Promise<void> {
    const running: SandboxRecord[] = [];
    for (const rec of this.ctx.store.sandboxes.list()) {
      try {
        if (rec.state === "creating") {
          await settleStragglers(rec.id, this.ctx.log);
          await this.#containers?.removeAll(rec.id);
          await this.#teardown(rec.id, sandboxConfigOf(rec), this.#infraHandler(rec));
          this.ctx.store.sandboxes.delete(rec.id);
        } else if (rec.state === "removing") {
          await this.remove(rec.id);
        } else if (rec.state === "ready" && !hasInfra(rec) && !this.#pinsHeld(rec)) {
          // No process tells a pod without one that its namespaces are gone (a reboot
          // emptied the state dir): its pins do.
          this.ctx.log.warn(`sandbox "${rec.id}" lost its namespaces while skiff was down; it is not ready`);
          this.ctx.store.sandboxes.updateState(rec.id, "notready", { expect: ["ready"] });
          this.#emit(rec.id, "stopped");
        } else if (this.#refresh(rec).state === "ready") {
          running.push(rec);
        }
      } catch (err) {
        this.ctx.log.error(`recover sandbox "${rec.id}": ${String(err)}`);
      }
    }
    // Checks run after start-up, one at a time: each is a few plugin execs, and a node
    // with many pods must not wait for them before it answers the kubelet.
    void (async () => {
      for (const rec of running) {
        // Under the pod's lock: CNI must not CHECK a network that a Stop is tearing down.
        await this.#lock.run(rec.id, async () => {
          const cur = this.ctx.store.sandboxes.find(rec.id);
          if (cur?.state === "ready") await this.#checkNetwork(cur);
        });
      }
    })();
  }
}
