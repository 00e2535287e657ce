/**
 * Platform matching: which entry of an image index (manifest list) this node runs.
 * Names are normalized first (`x86_64` is `amd64`, `aarch64` is `arm64/v8`, `armhf` is
 * `arm/v7`), then a wanted platform matches itself and, in order of preference, the
 * older variants its CPU also runs (arm/v7 runs v6 and v5; amd64/v3 runs v2, v1 and
 * 386; arm64 runs 32-bit arm), the same fallbacks containerd's default matcher allows.
 *
 * Windows containers share the host kernel, so with process isolation an image must
 * be built for the host's build (major.minor.build of `os.version`): among entries for
 * the same build the highest revision wins; entries without `os.version` come after
 * them; entries for another build never match.
 *
 * Nothing here reads `process.*`: the caller passes the host's os and arch in.
 */
import { NotFoundError } from "../errors.ts";
import type { Descriptor, ImageIndex, Platform } from "./manifest.ts";

/** The platform a node wants; `variant` and `osVersion` are optional. */
export type WantedPlatform = Pick<Platform, "os" | "architecture" | "variant" | "osVersion">;

const ARCH_ALIASES: Readonly<Record<string, string>> = {
  x86_64: "amd64",
  "x86-64": "amd64",
  x64: "amd64",
  amd64: "amd64",
  i386: "386",
  i486: "386",
  i586: "386",
  i686: "386",
  ia32: "386",
  x86: "386",
  "386": "386",
  aarch64: "arm64",
  arm64: "arm64",
  armhf: "arm",
  armel: "arm",
  arm: "arm",
};

/** Variants implied by an architecture alias. */
const ALIAS_VARIANTS: Readonly<Record<string, string>> = { armhf: "v7", armel: "v6" };

/**
 * Normalizes an os/architecture/variant triple: lowercase, canonical architecture
 * names, `v`-prefixed variants, the default variant filled in (arm64 → v8, arm → v7)
 * and amd64's baseline `v1` dropped.
 */
export function normalizePlatform<P extends WantedPlatform>(p: P): P {
  const os = p.os.toLowerCase() === "macos" ? "darwin" : p.os.toLowerCase();
  let arch = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase() || undefined;
  const armv = /^armv(\d)/.exec(arch); // armv7l, armv6l, armv5tel
  if (armv) {
    arch = "arm";
    variant ??= `v${armv[1]}`;
  }
  variant ??= ALIAS_VARIANTS[arch];
  arch = ARCH_ALIASES[arch] ?? arch;
  if (variant !== undefined && /^\d/.test(variant)) variant = `v${variant}`;
  if (arch === "arm64") variant ??= "v8";
  if (arch === "arm") variant ??= "v7";
  if (arch === "amd64" && variant === "v1") variant = undefined;
  if (arch === "386") variant = undefined;
  const out = { ...p, os, architecture: arch };
  if (variant === undefined) delete out.variant;
  else out.variant = variant;
  return out;
}

/**
 * The platform for a host described by Node's names (`process.platform`,
 * `process.arch`): `platformFor("linux", "x64")` is linux/amd64. Pure, so the one place
 * that may read `process.*` calls it. Windows callers pass `osVersion` (the host build).
 */
export function platformFor(os: string, arch: string, extra: { variant?: string; osVersion?: string } = {}): WantedPlatform {
  const goOs = os === "win32" ? "windows" : os;
  // Node says ppc64 for Linux on POWER, which Kubernetes runs little-endian.
  const goArch = arch === "ppc64" && goOs === "linux" ? "ppc64le" : arch;
  return normalizePlatform({ os: goOs, architecture: goArch, ...extra });
}

/** `linux/arm64/v8`, for messages. */
export function platformString(p: WantedPlatform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/") + (p.osVersion ? ` (${p.osVersion})` : "");
}

/**
 * The architecture/variant pairs a wanted platform runs, most preferred first.
 * The input must be normalized.
 */
export function compatibleArchitectures(want: WantedPlatform): Array<{ architecture: string; variant?: string }> {
  const out: Array<{ architecture: string; variant?: string }> = [];
  const level = (v?: string) => Number.parseInt((v ?? "v1").slice(1), 10);
  const push = (architecture: string, variant?: string) =>
    out.push(variant === undefined ? { architecture } : { architecture, variant });
  push(want.architecture, want.variant);
  switch (want.architecture) {
    case "amd64":
      for (let v = level(want.variant) - 1; v >= 1; v--) push("amd64", v === 1 ? undefined : `v${v}`);
      push("386");
      break;
    case "arm":
      for (let v = level(want.variant) - 1; v >= 5; v--) push("arm", `v${v}`);
      break;
    case "arm64":
      if (want.variant !== "v8") push("arm64", "v8");
      for (let v = 8; v >= 5; v--) push("arm", `v${v}`);
      break;
  }
  return out;
}

/**
 * How well `have` suits `want`: undefined for no match, else a rank (lower is better).
 * Both are normalized here.
 */
export function platformRank(wantIn: WantedPlatform, haveIn: WantedPlatform): number | undefined {
  const want = normalizePlatform(wantIn);
  const have = normalizePlatform(haveIn);
  if (want.os !== have.os) return undefined;
  const archRank = compatibleArchitectures(want).findIndex(
    (c) => c.architecture === have.architecture && c.variant === have.variant,
  );
  if (archRank < 0) return undefined;
  let osRank = 0;
  if (want.os === "windows" && want.osVersion) {
    osRank = windowsRank(want.osVersion, have.osVersion);
    if (osRank < 0) return undefined;
  }
  // Architecture first, then the Windows build; osRank stays below 2^20.
  return archRank * 2 ** 21 + osRank;
}

/**
 * 0.. for the same build (higher revisions rank lower, i.e. better), 2^20 for an entry
 * without os.version, -1 for another build.
 */
function windowsRank(want: string, have: string | undefined): number {
  if (!have) return 2 ** 20;
  const w = want.split(".");
  const h = have.split(".");
  if (w.slice(0, 3).join(".") !== h.slice(0, 3).join(".")) return -1;
  const revision = Math.min(Number.parseInt(h[3] ?? "0", 10) || 0, 2 ** 20 - 1);
  return 2 ** 20 - 1 - revision;
}

/**
 * Picks the manifest to pull from an index for the wanted platform. Ties keep index
 * order. Entries without a platform (attestations, say) never match. No match is a
 * NotFoundError that lists what the index offers.
 */
export function selectManifest(index: ImageIndex, want: WantedPlatform): Descriptor {
  let best: { rank: number; desc: Descriptor } | undefined;
  for (const desc of index.manifests) {
    if (!desc.platform) continue;
    const rank = platformRank(want, desc.platform);
    if (rank !== undefined && (best === undefined || rank < best.rank)) best = { rank, desc };
  }
  if (best) return best.desc;
  const offered = index.manifests
    .filter((d) => d.platform && d.platform.os !== "unknown")
    .map((d) => platformString(d.platform!));
  throw new NotFoundError(
    `no manifest for platform "${platformString(normalizePlatform(want))}" in the image index` +
      ` (it has: ${offered.length ? [...new Set(offered)].join(", ") : "none"})`,
  );
}
