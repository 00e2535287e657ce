/**
 * Realistic image layers for tests, built from the host's static busybox (Debian
 * package `busybox-static`): a root filesystem that a container can really run, and
 * helpers that turn a tar into a layer blob with its descriptor facts (media type,
 * digest, size, diff id) for the registry and image tests.
 */
import { existsSync, readFileSync } from "node:fs";
import { gzip, sha256, type TarEntrySpec, tar, zstd } from "./tar-writer.ts";

const BUSYBOX_PATHS = ["/bin/busybox", "/usr/bin/busybox"];

/** Applets linked in `bin/` by `busyboxLayer` unless told otherwise. */
export const DEFAULT_APPLETS = [
  "sh", "ls", "echo", "cat", "sleep", "true", "false", "env", "id", "mkdir", "rm", "ps",
  "hostname", "stat", "touch", "wc", "head", "grep", "date", "uname", "mount", "kill", "nc", "wget",
] as const;

/**
 * The host's static busybox binary. Throws with the fix when it is missing or is the
 * dynamically linked `busybox` package, which would not run inside a bare rootfs.
 */
export function findStaticBusybox(): { path: string; bytes: Uint8Array } {
  const path = BUSYBOX_PATHS.find((p) => existsSync(p));
  if (!path) throw new Error("busybox not found: run `apt-get install -y busybox-static`");
  const bytes = new Uint8Array(readFileSync(path));
  if (hasInterpreter(bytes)) {
    throw new Error(`${path} is dynamically linked: run \`apt-get install -y busybox-static\``);
  }
  return { path, bytes };
}

/** True if a 64-bit little-endian ELF file has a PT_INTERP program header (needs ld.so). */
function hasInterpreter(elf: Uint8Array): boolean {
  const dv = new DataView(elf.buffer, elf.byteOffset, elf.byteLength);
  if (dv.getUint32(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return false;
  const phoff = Number(dv.getBigUint64(0x20, true));
  const phentsize = dv.getUint16(0x36, true);
  const phnum = dv.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    if (dv.getUint32(phoff + i * phentsize, true) === 3) return true;
  }
  return false;
}

export interface BusyboxLayerOptions {
  /** Applets to symlink in `bin/`. Default `DEFAULT_APPLETS`. */
  applets?: readonly string[];
  /** More entries appended after the base ones. */
  extra?: TarEntrySpec[];
  /** Entry mtime. Default 1_700_000_000. */
  mtime?: number;
}

/** The entries of a minimal busybox root filesystem. */
export function busyboxEntries(opts: BusyboxLayerOptions = {}): TarEntrySpec[] {
  const { bytes } = findStaticBusybox();
  const mtime = opts.mtime ?? 1_700_000_000;
  const dir = (name: string, mode = 0o755): TarEntrySpec => ({ name, type: "dir", mode, mtime });
  const file = (name: string, data: string | Uint8Array, mode = 0o644): TarEntrySpec => ({ name, data, mode, mtime });
  return [
    dir("./"),
    dir("bin/"),
    file("bin/busybox", bytes, 0o755),
    ...(opts.applets ?? DEFAULT_APPLETS).map(
      (a): TarEntrySpec => ({ name: `bin/${a}`, type: "symlink", linkname: "busybox", mode: 0o777, mtime }),
    ),
    dir("dev/"),
    dir("etc/"),
    file("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
    file("etc/group", "root:x:0:\nnobody:x:65534:\n"),
    file("etc/hostname", "busybox\n"),
    dir("proc/"),
    dir("root/", 0o700),
    dir("sys/"),
    dir("tmp/", 0o1777),
    dir("var/"),
    ...(opts.extra ?? []),
  ];
}

/** A minimal busybox root filesystem as an uncompressed layer tar. */
export function busyboxLayer(opts: BusyboxLayerOptions = {}): Uint8Array<ArrayBuffer> {
  return tar(busyboxEntries(opts), { recordSize: 10240 });
}

export type BlobCompression = "gzip" | "zstd" | "none";

/** A layer blob with what a manifest and an image config say about it. */
export interface LayerBlob {
  mediaType: string;
  /** The blob bytes as a registry serves them. */
  blob: Uint8Array<ArrayBuffer>;
  /** sha256 of `blob`: the descriptor digest. */
  digest: string;
  size: number;
  /** sha256 of the uncompressed tar: the config's `rootfs.diff_ids` entry. */
  diffId: string;
}

const MEDIA_TYPES: Record<BlobCompression, string> = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  none: "application/vnd.oci.image.layer.v1.tar",
};

/** Compresses a layer tar and computes its descriptor facts. */
export function layerBlob(tarBytes: Uint8Array<ArrayBuffer>, compression: BlobCompression = "gzip"): LayerBlob {
  const blob = compression === "gzip" ? gzip(tarBytes) : compression === "zstd" ? zstd(tarBytes) : tarBytes;
  return { mediaType: MEDIA_TYPES[compression], blob, digest: sha256(blob), size: blob.length, diffId: sha256(tarBytes) };
}
