/**
 * skiff's CNI driver: loads network configs, runs the plugins itself for each pod (ADD on
 * RunPodSandbox, DEL on Stop/Remove, CHECK on demand) and caches ADD results on disk so
 * teardown and pod IPs survive a restart. No libcni: the protocol is small and specified.
 * See https://github.com/containernetworking/cni/blob/main/SPEC.md
 */
import { existsSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { isAbsolute, join } from "node:path";
import { FailedPreconditionError, NotFoundError, describeError } from "../errors.ts";
import { podIps } from "./cni-result.ts";
import { DEFAULT_CONFLIST_FILE, LOOPBACK_NETWORK, defaultConflist } from "./default-conflist.ts";
import { confDirSignature, listConfigFiles, loadNetworkConfigs } from "./load-network-configs.ts";
import type { NetworkConfigList } from "./network-config.ts";
import { type Attachment, addNetworkList, checkNetworkList, delNetworkList } from "./network-ops.ts";
import { findPlugin } from "./plugin-exec.ts";
import { podCniArgs, requestRuntimeConfig } from "./plugin-input.ts";
import { type CacheEntry, createResultCache } from "./result-cache.ts";
import { validatePodNetworkRequest } from "./validate-request.ts";
import type { CniNetwork, PodNetworkRequest, PodNetworkResult } from "./pod-network.ts";

export type CniNetworkOptions = {
  confDir: string;
  binDirs: string[];
  /** From `[cni] max_conf_num`; 0 = all. */
  maxConfNum: number;
  /** Where ADD results are cached for DEL/CHECK (survives skiff restarts). */
  cacheDir: string;
  /** E.g. "10.88.0.0/16"; used only when writing the default conflist. */
  defaultSubnet: string;
  /** Write a default conflist into confDir when it holds none. */
  writeDefault: boolean;
  log?: { info(...a: unknown[]): void; warn(...a: unknown[]): void; debug(...a: unknown[]): void };
  /** Deadline for each plugin exec, default 60 s. */
  execTimeoutMs?: number;
  /** Hears how long each plugin run took (for metrics): `plugin` is "cni:<type>". */
  observe?: (plugin: string, command: string, seconds: number) => void;
};
export type { CniNetwork, PodNetworkRequest, PodNetworkResult, PortMapping } from "./pod-network.ts";

/** The CRI NetworkReady condition reason the kubelet expects when networking is down. */
export const NETWORK_NOT_READY = "NetworkPluginNotReady";

/** Interface name of the i-th pod network: the base for the first, then eth1, eth2... */
export function ifNameFor(base: string, i: number): string {
  return i === 0 ? base : `${base.replace(/\d+$/, "")}${i}`.slice(0, 15);
}

/** Creates the driver; nothing is read until init(). */
export function createCniNetwork(opts: CniNetworkOptions): CniNetwork {
  const cache = createResultCache(opts.cacheDir);
  let networks: NetworkConfigList[] = [];
  let problem = "cni config not loaded yet";
  let signature: string | undefined;

  async function writeDefaultConflist(): Promise<void> {
    if ((await listConfigFiles(opts.confDir)).length > 0) return;
    await mkdir(opts.confDir, { recursive: true });
    const target = join(opts.confDir, DEFAULT_CONFLIST_FILE);
    // The temp name has no config extension, so a concurrent load never sees half a file.
    const tmp = join(opts.confDir, `.${DEFAULT_CONFLIST_FILE}.tmp-${process.pid}`);
    const fh = await open(tmp, "w", 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(defaultConflist(opts.defaultSubnet), null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    opts.log?.info(`wrote default cni config ${target} for subnet ${opts.defaultSubnet}`);
  }

  // Loads run one at a time, so a setUp never sees the state of a load still in progress.
  let loading: Promise<void> = Promise.resolve();
  function load(force: boolean): Promise<void> {
    const next = loading.then(() => loadNow(force));
    loading = next.catch(() => {});
    return next;
  }

  async function loadNow(force: boolean): Promise<void> {
    try {
      const sig = await confDirSignature(opts.confDir);
      if (!force && sig === signature) return;
      signature = sig;
      const loaded = await loadNetworkConfigs(opts.confDir, opts.maxConfNum);
      for (const s of loaded.skipped) opts.log?.warn(`skipping cni config ${s}`);
      const usable = loaded.networks.filter((n) => {
        if (n.name !== LOOPBACK_NETWORK) return true;
        opts.log?.warn(`skipping cni config ${n.source}: network name "${LOOPBACK_NETWORK}" is reserved`);
        return false;
      });
      networks = usable;
      problem = await findProblem(usable, loaded.skipped);
      if (problem) opts.log?.warn(`cni not ready: ${problem}`);
      else opts.log?.info(`cni networks loaded: ${usable.map((n) => `"${n.name}" (${n.source})`).join(", ")}`);
    } catch (err) {
      signature = undefined;
      networks = [];
      problem = `cni config load failed: ${describeError(err)}`;
      opts.log?.warn(problem);
    }
  }

  async function findProblem(nets: NetworkConfigList[], skipped: string[]): Promise<string> {
    if (nets.length === 0) {
      const why = skipped.length > 0 ? ` (skipped: ${skipped.join("; ")})` : "";
      return `cni config load failed: no network config found in ${opts.confDir}${why}`;
    }
    for (const net of nets) {
      for (const p of net.plugins) {
        if ((await findPlugin(p.type, opts.binDirs)) === undefined) {
          return `cni plugin "${p.type}" of network "${net.name}" not found in ${opts.binDirs.join(":")}`;
        }
      }
    }
    return "";
  }

  const attachment = (req: PodNetworkRequest, ifName: string, netns: string): Attachment => ({
    containerId: req.sandboxId,
    netns,
    ifName,
    cniArgs: podCniArgs(req),
    runtimeConfig: requestRuntimeConfig(req),
    binDirs: opts.binDirs,
    timeoutMs: opts.execTimeoutMs,
    observe: opts.observe,
  });

  /**
   * The pod's networks in ADD order with their interface names. No loopback network:
   * the platform sets `lo` up when it pins the network namespace.
   */
  const plan = (req: PodNetworkRequest): { net: NetworkConfigList; ifName: string }[] =>
    networks.map((net, i) => ({ net, ifName: ifNameFor(req.ifName ?? "eth0", i) }));

  /** DEL one attachment and drop its cache entry; a failed DEL keeps the entry for a retry. */
  async function del(e: { net: NetworkConfigList; a: Attachment; cached?: CacheEntry }): Promise<void> {
    await delNetworkList(e.net, e.a, e.cached?.result);
    await cache.remove(e.a.containerId, e.net.name, e.a.ifName);
  }

  return {
    async init() {
      if (opts.writeDefault) {
        try {
          await writeDefaultConflist();
        } catch (err) {
          opts.log?.warn(`could not write default cni config into ${opts.confDir}: ${describeError(err)}`);
        }
      }
      await load(true);
    },

    reload: () => load(false),

    status() {
      return problem ? { ready: false, reason: NETWORK_NOT_READY, message: problem } : { ready: true, reason: "", message: "" };
    },

    async setUp(req) {
      validatePodNetworkRequest(req);
      await load(false);
      if (problem) throw new FailedPreconditionError(`network for sandbox "${req.sandboxId}" not ready: ${problem}`);
      const steps = plan(req);
      const done: { net: NetworkConfigList; a: Attachment; cached?: CacheEntry }[] = [];
      const results: unknown[] = [];
      try {
        for (const [seq, { net, ifName }] of steps.entries()) {
          const a = attachment(req, ifName, req.netnsPath);
          // Recorded before ADD runs: a half-done ADD is undone too.
          const step: (typeof done)[number] = { net, a };
          done.push(step);
          const result = await addNetworkList(net, a);
          step.cached = { seq, containerId: req.sandboxId, networkName: net.name, ifName, netnsPath: req.netnsPath, cniArgs: a.cniArgs, runtimeConfig: a.runtimeConfig, config: net, result };
          await cache.write(step.cached);
          results.push(result);
        }
      } catch (err) {
        for (const step of done.reverse()) {
          await del(step).catch((e) =>
            opts.log?.warn(`undo network "${step.net.name}" of sandbox "${req.sandboxId}": ${describeError(e)}`),
          );
        }
        throw new Error(`set up network for sandbox "${req.sandboxId}"`, { cause: err });
      }
      return { ips: podIps(results), results };
    },

    async tearDown(req) {
      validatePodNetworkRequest(req);
      await load(false);
      // Per the spec a DEL may come with no netns when it is already gone. A Windows
      // namespace is an HNS GUID, not a file: it is passed as is.
      const netns = req.netnsPath && (!isAbsolute(req.netnsPath) || existsSync(req.netnsPath)) ? req.netnsPath : "";
      const cached: CacheEntry[] = [];
      for (const c of await cache.list(req.sandboxId)) {
        // Left by a skiff that ran the loopback plugin per pod. Its DEL would only set
        // `lo` down in a namespace about to go, so the entry is dropped without one.
        if (c.networkName === LOOPBACK_NETWORK) await cache.remove(c.containerId, c.networkName, c.ifName);
        else cached.push(c);
      }
      const todo: { seq: number; net: NetworkConfigList; a: Attachment; cached?: CacheEntry }[] = cached.map((c) => ({
        seq: c.seq,
        net: c.config,
        a: { ...attachment(req, c.ifName, netns), cniArgs: c.cniArgs, runtimeConfig: c.runtimeConfig },
        cached: c,
      }));
      // Networks with no cache entry still get a DEL: skiff may have died between a plugin's
      // ADD and the cache write, and DEL of something never added is a no-op for plugins.
      for (const [seq, { net, ifName }] of plan(req).entries()) {
        if (!todo.some((t) => t.net.name === net.name && t.a.ifName === ifName)) {
          todo.push({ seq, net, a: attachment(req, ifName, netns) });
        }
      }
      todo.sort((x, y) => y.seq - x.seq);
      let first: unknown;
      for (const t of todo) {
        try {
          await del(t);
        } catch (err) {
          if (t.cached) first ??= err;
          else opts.log?.debug(`del of uncached network "${t.net.name}" for sandbox "${req.sandboxId}": ${describeError(err)}`);
        }
      }
      if (first !== undefined) throw new Error(`tear down network for sandbox "${req.sandboxId}"`, { cause: first });
    },

    async check(req) {
      validatePodNetworkRequest(req);
      await load(false);
      if (problem) throw new FailedPreconditionError(`network for sandbox "${req.sandboxId}" not ready: ${problem}`);
      for (const { net, ifName } of plan(req)) {
        const c = await cache.read(req.sandboxId, net.name, ifName);
        if (!c) throw new NotFoundError(`no cached cni result for network "${net.name}" of sandbox "${req.sandboxId}"`);
        await checkNetworkList(net, { ...attachment(req, ifName, req.netnsPath), cniArgs: c.cniArgs, runtimeConfig: c.runtimeConfig }, c.result);
      }
    },

    async cachedIps(sandboxId) {
      const entries = await cache.list(sandboxId);
      return podIps(entries.filter((e) => e.networkName !== LOOPBACK_NETWORK).map((e) => e.result));
    },
  };
}
