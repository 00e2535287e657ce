/**
 * A large synthetic image for the pull benchmark: a busybox base layer plus layers of
 * many files whose content comes from a seeded PRNG, so every run builds the same bytes
 * (and the same digests) without shipping a fixture.
 *
 * Each generated layer mixes two kinds of files, as real application images do:
 * - "binaries": incompressible random bytes (think .so files, already-compressed assets),
 *   a few dozen per layer, 1 KiB to 2 MiB, log-uniform sizes;
 * - "text": lines of words from a fixed pseudo-vocabulary (think sources, docs, configs),
 *   thousands per layer, 100 B to 48 KiB, which gzip shrinks about 3:1;
 * plus a few symlinks and hard links. The last layer also deletes and replaces a few of
 * the first generated layer's files (whiteouts), so unpack takes its realistic paths.
 *
 * The tar and gzip work reuses test/support (tar-writer.ts, layers.ts, images.ts).
 */
import { type BuiltImage, buildImage } from "../../test/support/images.ts";
import { type LayerBlob, busyboxEntries, layerBlob } from "../../test/support/layers.ts";
import { type TarEntrySpec, tar } from "../../test/support/tar-writer.ts";

export type SyntheticImageOptions = {
  /** Generated layers on top of the busybox base. Default 5 (6 layers in all). */
  layers?: number;
  /** Incompressible bytes per generated layer. Default 32 MiB. */
  randomBytesPerLayer?: number;
  /** Text bytes per generated layer. Default 24 MiB. */
  textBytesPerLayer?: number;
  /** PRNG seed; the same seed gives the same image. */
  seed?: number;
};

/** What went into one layer, for the report. */
export type LayerFacts = {
  digest: string;
  /** Compressed (blob) size. */
  size: number;
  /** Uncompressed tar size. */
  tarSize: number;
  files: number;
  dirs: number;
  links: number;
  whiteouts: number;
};

export type SyntheticImage = { image: BuiltImage; layers: LayerFacts[]; buildMs: number };

/**
 * xoshiro128** (Blackman and Vigna): small, fast and good enough to make bytes that gzip
 * cannot shrink. Seeded through splitmix32 so nearby seeds give unrelated streams.
 */
class Prng {
  #s = new Uint32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** The next 32 random bits as an unsigned integer. */
  next(): number {
    const s = this.#s;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3 >>> 0, 11);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.next() / 2 ** 32;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A size between lo and hi whose logarithm is uniform: many small, a few large. */
  logUniform(lo: number, hi: number): number {
    return Math.round(Math.exp(Math.log(lo) + this.float() * (Math.log(hi) - Math.log(lo))));
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array<ArrayBuffer> {
    const words = new Uint32Array(Math.ceil(n / 4));
    for (let i = 0; i < words.length; i++) words[i] = this.next();
    return new Uint8Array(words.buffer, 0, n);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

const enc = new TextEncoder();

/** A fixed vocabulary of pronounceable pseudo-words, already encoded. */
function vocabulary(rng: Prng, size: number): Uint8Array[] {
  const consonants = "bcdfghjklmnprstvwz";
  const vowels = "aeiou";
  const words: Uint8Array[] = [];
  for (let i = 0; i < size; i++) {
    let w = "";
    const syllables = 1 + rng.int(4);
    for (let s = 0; s < syllables; s++) w += consonants[rng.int(consonants.length)]! + vowels[rng.int(vowels.length)]!;
    if (rng.int(4) === 0) w += consonants[rng.int(consonants.length)]!;
    words.push(enc.encode(w));
  }
  return words;
}

/** `n` bytes of text: lines of 4 to 15 words, some indented, some with punctuation. */
function text(rng: Prng, words: Uint8Array[], n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  let at = 0;
  let left = 0; // words left on this line
  while (at < n) {
    if (left === 0) {
      if (at > 0) out[at++] = 0x0a;
      left = 4 + rng.int(12);
      const indent = rng.int(3) * 2;
      for (let i = 0; i < indent && at < n; i++) out[at++] = 0x20;
      continue;
    }
    const w = words[rng.int(words.length)]!;
    const take = Math.min(w.length, n - at);
    out.set(w.subarray(0, take), at);
    at += take;
    left--;
    if (at < n) out[at++] = left === 0 ? 0x2e : rng.int(10) === 0 ? 0x2c : 0x20;
  }
  if (n > 0) out[n - 1] = 0x0a;
  return out;
}

const MTIME = 1_700_000_000;

/** The entries of generated layer `index` (1-based: the busybox base is layer 0). */
function layerEntries(
  rng: Prng,
  words: Uint8Array[],
  index: number,
  opts: Required<Pick<SyntheticImageOptions, "randomBytesPerLayer" | "textBytesPerLayer">>,
  replaceFrom?: string[],
): { entries: TarEntrySpec[]; files: string[]; counts: Omit<LayerFacts, "digest" | "size" | "tarSize"> } {
  const root = `usr/lib/app${index}`;
  const entries: TarEntrySpec[] = [];
  const dirs = new Set<string>();
  const addDir = (d: string) => {
    // Parents first, as tar producers write them.
    const parts = d.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const p = parts.slice(0, i).join("/");
      if (!dirs.has(p)) {
        dirs.add(p);
        entries.push({ name: `${p}/`, type: "dir", mode: 0o755, mtime: MTIME });
      }
    }
  };
  // About 120 directories per layer, two levels deep.
  const packages = Array.from({ length: 24 }, (_, i) => `${root}/pkg${String(i).padStart(2, "0")}`);
  const subdirs = ["bin", "lib", "share/doc", "share/locale", "include"];
  const dirFor = () => `${packages[rng.int(packages.length)]}/${subdirs[rng.int(subdirs.length)]}`;

  const names = words.map((w) => new TextDecoder().decode(w));
  const files: string[] = [];
  let fileCount = 0;
  const addFile = (dir: string, name: string, data: Uint8Array, mode: number) => {
    addDir(dir);
    const p = `${dir}/${name}`;
    entries.push({ name: p, data, mode, mtime: MTIME });
    files.push(p);
    fileCount++;
  };

  // Interleave the two kinds until both budgets are spent, so they are spread over the tar.
  let randomLeft = opts.randomBytesPerLayer;
  let textLeft = opts.textBytesPerLayer;
  let serial = 0;
  while (randomLeft > 0 || textLeft > 0) {
    const pickText = textLeft > 0 && (randomLeft <= 0 || rng.float() < 0.97);
    const w = names[rng.int(names.length)]!;
    if (pickText) {
      const size = Math.min(textLeft, rng.logUniform(100, 48 * 1024));
      textLeft -= size;
      const ext = [".txt", ".md", ".h", ".py", ".json", ".conf"][rng.int(6)];
      addFile(dirFor(), `${w}-${serial++}${ext}`, text(rng, words, size), 0o644);
    } else {
      const size = Math.min(randomLeft, rng.logUniform(1024, 2 * 1024 * 1024));
      randomLeft -= size;
      addFile(dirFor(), `lib${w}.so.${serial++}`, rng.bytes(size), 0o755);
    }
  }

  // Symlinks and hard links to files of this layer.
  let links = 0;
  for (let i = 0; i < 40; i++) {
    const target = files[rng.int(files.length)]!;
    const dir = dirFor();
    addDir(dir);
    // Relative link from `dir` to the target: both are under the image root.
    const up = dir.split("/").map(() => "..").join("/");
    entries.push({ name: `${dir}/link-${i}`, type: "symlink", linkname: `${up}/${target}`, mode: 0o777, mtime: MTIME });
    links++;
  }
  for (let i = 0; i < 10; i++) {
    const target = files[rng.int(files.length)]!;
    const dir = dirFor();
    addDir(dir);
    entries.push({ name: `${dir}/hardlink-${i}`, type: "link", linkname: target, mtime: MTIME });
    links++;
  }

  // Whiteouts: delete some files of an earlier layer and replace others.
  let whiteouts = 0;
  if (replaceFrom && replaceFrom.length >= 60) {
    // 60 distinct files of the earlier layer: the first 30 deleted, the others replaced.
    const picked = new Set<string>();
    while (picked.size < 60) picked.add(replaceFrom[rng.int(replaceFrom.length)]!);
    const [gone, replaced] = [[...picked].slice(0, 30), [...picked].slice(30)];
    for (const victim of gone) {
      const slash = victim.lastIndexOf("/");
      const dir = victim.slice(0, slash);
      addDir(dir);
      entries.push({ name: `${dir}/.wh.${victim.slice(slash + 1)}`, mtime: MTIME });
      whiteouts++;
    }
    for (const target of replaced) {
      addDir(target.slice(0, target.lastIndexOf("/")));
      entries.push({ name: target, data: text(rng, words, 2000 + rng.int(8000)), mode: 0o644, mtime: MTIME });
      fileCount++;
    }
  }
  return { entries, files, counts: { files: fileCount, dirs: dirs.size, links, whiteouts } };
}

/** Builds the image: busybox base plus `layers` generated layers, gzip-compressed. */
export function buildSyntheticImage(opts: SyntheticImageOptions = {}): SyntheticImage {
  const t0 = performance.now();
  const layerCount = opts.layers ?? 5;
  const sizes = {
    randomBytesPerLayer: opts.randomBytesPerLayer ?? 32 * 1024 * 1024,
    textBytesPerLayer: opts.textBytesPerLayer ?? 24 * 1024 * 1024,
  };
  const seed = opts.seed ?? 0x5eed;
  const words = vocabulary(new Prng(seed), 600);

  const blobs: LayerBlob[] = [];
  const facts: LayerFacts[] = [];
  const push = (tarBytes: Uint8Array<ArrayBuffer>, counts: Omit<LayerFacts, "digest" | "size" | "tarSize">) => {
    const b = layerBlob(tarBytes, "gzip");
    blobs.push(b);
    facts.push({ digest: b.digest, size: b.size, tarSize: tarBytes.length, ...counts });
  };

  // The base: test/support's busybox root filesystem (what busyboxLayer() builds).
  const baseEntries = busyboxEntries();
  const count = (t: string) => baseEntries.filter((e) => (e.type ?? (e.name.endsWith("/") ? "dir" : "file")) === t).length;
  push(tar(baseEntries, { recordSize: 10240 }), { files: count("file"), dirs: count("dir"), links: count("symlink"), whiteouts: 0 });

  let firstFiles: string[] | undefined;
  for (let i = 1; i <= layerCount; i++) {
    const rng = new Prng(seed + i * 7919);
    const last = i === layerCount && layerCount > 1;
    const { entries, files, counts } = layerEntries(rng, words, i, sizes, last ? firstFiles : undefined);
    if (i === 1) firstFiles = files;
    push(tar(entries, { recordSize: 10240 }), counts);
  }
  const image = buildImage(blobs, { cmd: ["/bin/sh"], labels: { "org.skiff.bench": "pull" } });
  return { image, layers: facts, buildMs: performance.now() - t0 };
}
