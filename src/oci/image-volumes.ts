/**
 * The image config's `Volumes`: directories the image author wants outside the rootfs's
 * copy-on-write layer. skiff gives each one a container-private directory under a
 * caller-chosen dir (`imageVolumesDir`, typically in the container's state) and binds it
 * at the volume's path, unless a CRI mount already covers that path.
 *
 * The volume paths come from the image, so they are untrusted: they are normalised and
 * must be absolute; the host-side name is derived from the path by a fixed rule (never a
 * path the image chose), so nothing an image says can point a mount outside the dir.
 */
import { posix } from "node:path";
import type { ContainerConfig } from "../gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../errors.ts";
import type { ImageConfig } from "../image/manifest.ts";
import { bindMount } from "./opts/mounts.ts";
import type { Mount } from "./spec.ts";

export type ImageVolume = {
  /** Where it is mounted in the container (normalised). */
  containerPath: string;
  /** The directory's name under the caller's image-volumes dir. */
  dirName: string;
};

/**
 * A file name for a volume path: its readable part (`/var/lib/data` → `var_lib_data`),
 * then a short hash of the full path, so `/a_b` and `/a/b` get different directories.
 */
export function sanitizeVolumeName(containerPath: string): string {
  const readable = containerPath.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 64) || "root";
  const hash = new Bun.CryptoHasher("sha256").update(containerPath).digest("hex").slice(0, 12);
  return `${readable}-${hash}`;
}

function covers(parent: string, child: string): boolean {
  return parent === "/" || child === parent || child.startsWith(`${parent}/`);
}

/**
 * The image volumes that need a directory: every `Volumes` path of `image`, except those
 * at or under a CRI mount's container path (mounting there would create directories
 * inside the user's own volume). The caller creates `<dir>/<dirName>` for each.
 */
export function imageVolumePaths(image: ImageConfig, config: Pick<ContainerConfig, "mounts">): ImageVolume[] {
  const mounted = config.mounts.map((m) => posix.normalize(m.containerPath).replace(/(.)\/$/, "$1"));
  const out: ImageVolume[] = [];
  const seen = new Set<string>();
  for (const raw of image.config.volumes) {
    if (!raw.startsWith("/")) {
      throw new InvalidArgumentError("image.config.Volumes", `"${raw}" is not an absolute path`);
    }
    const containerPath = posix.normalize(raw).replace(/(.)\/$/, "$1");
    if (containerPath === "/" || seen.has(containerPath)) continue;
    seen.add(containerPath);
    if (mounted.some((m) => covers(m, containerPath))) continue;
    out.push({ containerPath, dirName: sanitizeVolumeName(containerPath) });
  }
  return out;
}

/** The bind mounts for `imageVolumePaths`, read-write and private, from `dir`. */
export function imageVolumeMounts(image: ImageConfig, config: Pick<ContainerConfig, "mounts">, dir: string): Mount[] {
  return imageVolumePaths(image, config).map((v) => bindMount(posix.join(dir, v.dirName), v.containerPath, false));
}
