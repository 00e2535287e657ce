/**
 * A scratch area for extraction tests: `<base>/dest` is the layer directory and
 * `<base>/outside` holds a sentinel file that no layer may touch.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyEntries, type ApplyStats } from "../../../../src/image/unpack/apply-entries.ts";
import { readTar } from "../../../../src/image/unpack/tar-reader.ts";
import { FakePlatform } from "../../../../src/platform/fake/index.ts";
import type { Platform } from "../../../../src/platform/types.ts";
import { chunked, type TarEntrySpec, tar } from "../../../support/tar-writer.ts";

export const SENTINEL = "do not touch\n";

export interface Scratch {
  base: string;
  dest: string;
  outside: string;
  /** Every path under `outside`, relative; must stay `["sentinel"]`. */
  outsideListing(): string[];
  sentinelIntact(): boolean;
  cleanup(): void;
}

export function scratch(prefix = "skiff-unpack-"): Scratch {
  const base = mkdtempSync(join(tmpdir(), prefix));
  const dest = join(base, "dest");
  const outside = join(base, "outside");
  mkdirSync(dest);
  mkdirSync(outside);
  writeFileSync(join(outside, "sentinel"), SENTINEL);
  return {
    base,
    dest,
    outside,
    outsideListing: () => (readdirSync(outside, { recursive: true }) as string[]).sort(),
    sentinelIntact: () => readFileSync(join(outside, "sentinel"), "utf8") === SENTINEL,
    cleanup: () => {
      makeWritable(base);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Gives every directory under `dir` mode 0700, so a non-root test can delete read-only ones. */
function makeWritable(dir: string): void {
  chmodSync(dir, 0o700);
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (lstatSync(path).isDirectory()) makeWritable(path);
  }
}

/**
 * A FakePlatform whose mknod leaves an empty regular file behind, so the code that
 * sets attributes on the new node finds something (unit tests cannot make devices).
 */
export function fakePlatform(): FakePlatform {
  const p = new FakePlatform();
  p.on("mknod", (path) => writeFileSync(path, "", { flag: "wx" }));
  return p;
}

/** Builds a tar from `entries` and applies it to `dest`. */
export function applySpecs(platform: Platform, dest: string, entries: TarEntrySpec[]): Promise<ApplyStats> {
  return applyEntries(readTar(chunked(tar(entries), 1000)), { platform, dest });
}
