import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { digestHex } from "../image/content-store.ts";
import type { LayerSnapshots } from "./layer-snapshots.ts";

/**
 * Unpacked layers as directories an overlay mount can stack: `<dir>/<chain hex>/fs`.
 * A layer is unpacked into `<dir>/tmp-*` and renamed into place only when it is
 * complete and verified, so a crash leaves only temp dirs, removed at start.
 */
export class OverlaySnapshots implements LayerSnapshots {
  readonly layout = "overlay";

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** The directory a committed snapshot lives in (its files are under `fs/`). */
  pathOf(chainId: string): string {
    return path.join(this.dir, digestHex(chainId, "chain_id"));
  }

  /** The lower dir to give overlayfs for this snapshot. */
  fsOf(chainId: string): string {
    return path.join(this.pathOf(chainId), "fs");
  }

  exists(chainId: string): boolean {
    return fs.existsSync(this.fsOf(chainId));
  }

  /** A fresh temp dir to unpack into; returns it and the `fs/` dir inside. */
  async prepare(): Promise<{ tmp: string; fs: string }> {
    const tmp = await fsp.mkdtemp(path.join(this.dir, "tmp-"));
    const fsDir = path.join(tmp, "fs");
    await fsp.mkdir(fsDir, { mode: 0o755 });
    return { tmp, fs: fsDir };
  }

  /** Moves a finished temp dir into place; if another pull got there first, drops ours. */
  async commit(tmp: string, chainId: string, _parents: readonly string[] = []): Promise<string> {
    const to = this.pathOf(chainId);
    try {
      await fsp.rename(tmp, to);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
      await this.discard(tmp);
    }
    return to;
  }

  async discard(tmp: string): Promise<void> {
    await fsp.rm(tmp, { recursive: true, force: true });
  }

  async remove(chainId: string): Promise<void> {
    await fsp.rm(this.pathOf(chainId), { recursive: true, force: true });
  }

  /** Removes temp dirs a crash left behind; returns how many. */
  async cleanTemp(): Promise<number> {
    let n = 0;
    for (const name of await fsp.readdir(this.dir).catch(() => [] as string[])) {
      if (!name.startsWith("tmp-")) continue;
      await this.discard(path.join(this.dir, name));
      n++;
    }
    return n;
  }

  /** Chain ids of every committed snapshot on disk. */
  async list(): Promise<string[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`);
  }
}
