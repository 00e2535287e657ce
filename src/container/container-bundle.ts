/**
 * A container's OCI bundle on disk: the overlay rootfs of the image's layers with a
 * writable layer, the image volume dirs, and config.json, built (purely, by src/oci)
 * from the request and what was read from the host and the rootfs first. The caller
 * undoes all of it on failure (its teardown works from the id alone).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ContainerConfig, PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { buildSpec } from "../oci/build.ts";
import { containerSpecOpts } from "../oci/container.ts";
import { deviceHostPaths } from "../oci/devices.ts";
import { imageVolumePaths } from "../oci/image-volumes.ts";
import type { Spec } from "../oci/spec.ts";
import type { RuntimeHandler } from "../runtime/runtime-handlers.ts";
import { readSeccompLocalhost, specHostFor, statDevices } from "../runtime/spec-host-reads.ts";
import type { PodContext } from "../sandbox/pod-context.ts";
import type { SandboxPaths } from "../sandbox/sandbox-paths.ts";
import type { ImageRecord, SandboxRecord } from "../store/index.ts";
import type { ContainerPaths } from "./container-paths.ts";
import { imageConfigOf, layerPathsOf } from "./image-config.ts";
import { mountRootfs } from "./mounts.ts";
import { parseGroup, parsePasswd, resolveUser } from "./passwd.ts";
import { readRootfsFile } from "./rootfs-file.ts";

export type BundleRequest = {
  id: string;
  paths: ContainerPaths;
  /** The request, its mount sources already resolved on the host. */
  config: ContainerConfig;
  mounts: ContainerConfig["mounts"];
  image: ImageRecord;
  sandbox: SandboxRecord;
  sandboxConfig: PodSandboxConfig;
  sandboxPaths: SandboxPaths;
  /** The pid of the container whose PID namespace a TARGET PID mode joins. */
  targetPid?: number;
  handler: RuntimeHandler;
  /** Told when each step is done, for the debug timing line. */
  mark?: (step: string) => void;
};

/** Mounts the rootfs, makes the volume dirs and writes config.json; returns the spec. */
export function writeContainerBundle(ctx: Pick<PodContext, "platform" | "store" | "specHost">, r: BundleRequest): Spec {
  const { id, paths: p, config, image, sandbox, handler } = r;
  fs.mkdirSync(p.dir, { recursive: true, mode: 0o711 });
  fs.mkdirSync(p.bundle, { recursive: true, mode: 0o711 });
  mountRootfs(ctx.platform, { lowers: layerPathsOf(ctx.store.images, image), upper: p.upper, work: p.work, emptyLower: p.emptyLower, target: p.rootfs });
  r.mark?.("rootfs");
  const imageConfig = imageConfigOf(image);
  const user = resolveUser(config.linux?.securityContext, imageConfig.config.user, {
    passwd: parsePasswd(readRootfsFile(p.rootfs, "etc/passwd")),
    group: parseGroup(readRootfsFile(p.rootfs, "etc/group")),
  });
  for (const v of imageVolumePaths(imageConfig, config)) fs.mkdirSync(path.join(p.volumes, v.dirName), { recursive: true, mode: 0o755 });
  const sp = r.sandboxPaths;
  const ns = sandbox.netns as Record<string, string>;
  const info = sandbox.info as { pid?: number };
  const pidOf = r.targetPid ?? info.pid;
  // The spec options only read the config: a shallow copy carries the resolved mounts.
  const withSources: ContainerConfig = { ...config, mounts: r.mounts };
  const opts = containerSpecOpts({
    id,
    sandboxId: sandbox.id,
    config: withSources,
    sandboxConfig: r.sandboxConfig,
    image: { name: config.image!.image, ref: image.id, spec: imageConfig },
    handler: handler.config,
    host: specHostFor(ctx.specHost, config, handler.config.privilegedWithoutHostDevices),
    hostname: fs.readFileSync(sp.hostname, "utf8").trim(),
    sandboxPaths: { hostname: sp.hostname, hosts: sp.hosts, resolvConf: sp.resolvConf, shm: ns.ipc ? sp.shm : "/dev/shm" },
    namespacePaths: { net: ns.net, uts: ns.uts, ipc: ns.ipc, pid: pidOf ? `/proc/${pidOf}/ns/pid` : undefined },
    cgroupParent: r.sandboxConfig.linux?.cgroupParent ?? "",
    user,
    seccompLocalhost: readSeccompLocalhost(config.linux?.securityContext, "config.linux.security_context"),
    deviceInfo: statDevices(deviceHostPaths(config)),
    imageVolumesDir: p.volumes,
  });
  const spec = buildSpec(handler.baseSpec, opts);
  r.mark?.("spec");
  spec.root = { path: p.rootfs, readonly: config.linux?.securityContext?.readonlyRootfs ?? false };
  fs.writeFileSync(path.join(p.bundle, "config.json"), JSON.stringify(spec));
  return spec;
}
