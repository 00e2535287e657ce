/**
 * Image layers as vmcompute layer folders, `<dir>/<chain hex>`: HCS names a layer by the
 * GUID NameToGuid makes of that folder name, so the folder is imported in place (never
 * renamed afterwards). A layer is unpacked into `<dir>/tmp-*` first, then:
 *
 * - a base layer (no parents) has its files moved into its folder and is finished with
 *   ProcessBaseImage (and ProcessUtilityImage when it carries a utility VM image);
 * - any other layer is imported with ImportLayer over its parents, nearest first, and the
 *   files it deletes are removed from it afterwards (what hcsshim's legacy writer does).
 *
 * A layer is complete once `layerchain.json` (its parents' folders, the file docker and
 * containerd keep in Windows layer folders) is written: a crash before that leaves a folder
 * `cleanTemp` destroys. Commits wait for their parent's commit, since ImportLayer needs
 * the parents in place; layers of one image still unpack in parallel.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { digestHex } from "../image/content-store.ts";
import type { WindowsLayerCalls } from "../platform/windows-host.ts";
import type { LayerSnapshots } from "./layer-snapshots.ts";

const CHAIN_FILE = "layerchain.json";

export class WindowsLayerSnapshots implements LayerSnapshots {
  readonly layout = "windows";
  readonly #commits = new Map<string, Promise<string>>();

  constructor(
    readonly dir: string,
    private readonly layers: WindowsLayerCalls,
  ) {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  pathOf(chainId: string): string {
    return path.join(this.dir, digestHex(chainId, "chain_id"));
  }

  fsOf(chainId: string): string {
    return this.pathOf(chainId);
  }

  exists(chainId: string): boolean {
    return fs.existsSync(path.join(this.pathOf(chainId), CHAIN_FILE));
  }

  async prepare(): Promise<{ tmp: string; fs: string }> {
    const tmp = await fsp.mkdtemp(path.join(this.dir, "tmp-"));
    const staged = path.join(tmp, "fs");
    await fsp.mkdir(staged);
    return { tmp, fs: staged };
  }

  commit(tmp: string, chainId: string, parents: readonly string[], tombstones: readonly string[] = []): Promise<string> {
    const running = this.#commits.get(chainId);
    if (running) return running.then(async (p) => (await this.discard(tmp), p));
    const done = this.#commit(tmp, chainId, parents, tombstones).finally(() => this.#commits.delete(chainId));
    this.#commits.set(chainId, done);
    return done;
  }

  async #commit(tmp: string, chainId: string, parents: readonly string[], tombstones: readonly string[]): Promise<string> {
    const layer = this.pathOf(chainId);
    const parent = parents[0];
    if (parent !== undefined) await this.#commits.get(parent);
    if (this.exists(chainId)) {
      await this.discard(tmp);
      return layer;
    }
    const parentPaths = parents.map((p) => this.fsOf(p));
    const missing = parents.filter((p) => !this.exists(p));
    if (missing.length > 0) throw new Error(`layer ${chainId}: parent layer ${missing[0]} is not imported`);
    const staged = path.join(tmp, "fs");
    try {
      if (parents.length === 0) {
        await fsp.rm(layer, { recursive: true, force: true });
        await fsp.rename(staged, layer);
        await this.layers.processBaseImage(layer);
        if (fs.existsSync(path.join(layer, "UtilityVM"))) await this.layers.processUtilityImage(path.join(layer, "UtilityVM"));
      } else {
        await fsp.mkdir(layer, { recursive: true });
        await this.layers.importLayer(layer, staged, parentPaths);
        for (const t of tombstones) await fsp.rm(path.join(layer, ...t.split("\\")), { recursive: true, force: true });
      }
      await fsp.writeFile(path.join(layer, CHAIN_FILE), JSON.stringify(parentPaths));
    } catch (err) {
      await this.remove(chainId).catch(() => {});
      throw err;
    } finally {
      await this.discard(tmp);
    }
    return layer;
  }

  async discard(tmp: string): Promise<void> {
    await fsp.rm(tmp, { recursive: true, force: true });
  }

  /** DestroyLayer, then whatever is left of the folder. */
  async remove(chainId: string): Promise<void> {
    const layer = this.pathOf(chainId);
    if (!fs.existsSync(layer)) return;
    await this.layers.destroyLayer(layer).catch(() => {});
    await fsp.rm(layer, { recursive: true, force: true });
  }

  /** Temp dirs, and layer folders a crash left without their layerchain.json. */
  async cleanTemp(): Promise<number> {
    let n = 0;
    for (const name of await fsp.readdir(this.dir).catch(() => [] as string[])) {
      if (name.startsWith("tmp-")) {
        await this.discard(path.join(this.dir, name));
        n++;
      } else if (/^[0-9a-f]{64}$/.test(name) && !this.exists(`sha256:${name}`)) {
        await this.remove(`sha256:${name}`);
        n++;
      }
    }
    return n;
  }

  async list(): Promise<string[]> {
    const names = await fsp.readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n)).map((n) => `sha256:${n}`).filter((c) => this.exists(c));
  }
}
