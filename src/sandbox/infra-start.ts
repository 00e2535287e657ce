/**
 * Starting a pod's infra process: its rootfs (an empty dir, or the sandbox image's
 * layers read-only), its spec (pure, from src/oci) and a detached runtime run.
 */
import * as fs from "node:fs";
import type { PodSandboxConfig } from "../gen/runtime/v1/api_pb.ts";
import { mountRootfs } from "../container/mounts.ts";
import { buildSpec } from "../oci/build.ts";
import { withMounts, withoutMount } from "../oci/opts/mounts.ts";
import type { NamedOpt } from "../oci/spec-opts.ts";
import { sandboxSpecOpts } from "../oci/sandbox.ts";
import type { NamespaceKind } from "../platform/types.ts";
import type { ProcessIdentity } from "../runtime/linux/process-identity.ts";
import type { RuntimeHandler } from "../runtime/runtime-handlers.ts";
import { readSeccompLocalhost } from "../runtime/spec-host-reads.ts";
import type { InfraProcess } from "./infra.ts";
import type { PodContext } from "./pod-context.ts";
import type { SandboxPaths } from "./sandbox-paths.ts";

/** The infra process and, for a sandbox image, the layers of its rootfs. */
export type InfraPlan = { process: InfraProcess; image?: { lowers: string[]; chainId: string | null } };

export async function startInfra(
  ctx: Pick<PodContext, "platform" | "specHost">,
  s: { id: string; config: PodSandboxConfig; handler: RuntimeHandler; infra: InfraPlan; paths: SandboxPaths; pins: Partial<Record<NamespaceKind, string>>; hostIpc: boolean },
): Promise<ProcessIdentity> {
  const { id, config, handler, infra, paths: p, pins } = s;
  // A writable layer even though the process sees its root read-only: the runtime must
  // create mount points (/etc/resolv.conf, /dev/shm...) before it remounts the root ro.
  if (infra.image) {
    mountRootfs(ctx.platform, { lowers: infra.image.lowers, upper: `${p.bundle}/upper`, work: `${p.bundle}/work`, target: p.rootfs, emptyLower: `${p.bundle}/empty` });
  }
  else fs.mkdirSync(p.rootfs, { recursive: true });
  const opts = sandboxSpecOpts({
    id,
    config,
    args: infra.process.args,
    env: infra.process.env,
    cwd: infra.process.cwd,
    handler: handler.config,
    host: ctx.specHost,
    namespacePaths: { net: pins.net, uts: pins.uts, ipc: pins.ipc },
    shm: s.hostIpc ? undefined : p.shm,
    resolvConf: p.resolvConf,
    seccompLocalhost: readSeccompLocalhost(config.linux?.securityContext, "config.linux.security_context"),
  });
  const spec = buildSpec(handler.baseSpec, [
    ...opts,
    ...infra.process.unneededMounts.map((m): NamedOpt => [`withoutMount(${m})`, withoutMount(m)]),
    ["withInfraMounts", withMounts(infra.process.mounts)],
  ]);
  spec.root = { path: p.rootfs, readonly: true };
  fs.writeFileSync(`${p.bundle}/config.json`, JSON.stringify(spec));
  return handler.runtime.runDetached(id, p.bundle);
}
