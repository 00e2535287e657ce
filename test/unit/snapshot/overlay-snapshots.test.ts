import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { chainIds } from "../../../src/snapshot/chain-id.ts";
import { OverlaySnapshots } from "../../../src/snapshot/overlay-snapshots.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-snap-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const sha = (s: string) => `sha256:${new Bun.CryptoHasher("sha256").update(s).digest("hex")}`;

describe("chainIds", () => {
  test("the first chain id is the first diff id; the next hash parent and diff id with a space", () => {
    const [a, b, c] = [sha("a"), sha("b"), sha("c")];
    const ids = chainIds([a, b, c]);
    expect(ids[0]).toBe(a);
    expect(ids[1]).toBe(sha(`${a} ${b}`));
    expect(ids[2]).toBe(sha(`${ids[1]} ${c}`));
    expect(chainIds([])).toEqual([]);
  });
});

describe("OverlaySnapshots", () => {
  test("prepare, commit and remove a snapshot", async () => {
    const snaps = new OverlaySnapshots(path.join(dir, "a"));
    const { tmp, fs: fsDir } = await snaps.prepare();
    fs.writeFileSync(path.join(fsDir, "hello"), "hi");
    await snaps.commit(tmp, sha("x"));
    expect(snaps.exists(sha("x"))).toBe(true);
    expect(fs.readFileSync(path.join(snaps.fsOf(sha("x")), "hello"), "utf8")).toBe("hi");
    expect(await snaps.list()).toEqual([sha("x")]);
    await snaps.remove(sha("x"));
    expect(snaps.exists(sha("x"))).toBe(false);
  });

  test("a second commit of the same chain id keeps the first and drops the second", async () => {
    const snaps = new OverlaySnapshots(path.join(dir, "b"));
    for (const content of ["first", "second"]) {
      const { tmp, fs: fsDir } = await snaps.prepare();
      fs.writeFileSync(path.join(fsDir, "f"), content);
      await snaps.commit(tmp, sha("y"));
    }
    expect(fs.readFileSync(path.join(snaps.fsOf(sha("y")), "f"), "utf8")).toBe("first");
    expect(fs.readdirSync(snaps.dir).filter((n) => n.startsWith("tmp-"))).toEqual([]);
  });

  test("cleanTemp removes what a crash left mid-unpack", async () => {
    const snaps = new OverlaySnapshots(path.join(dir, "c"));
    await snaps.prepare();
    await snaps.prepare();
    expect(await snaps.cleanTemp()).toBe(2);
    expect(fs.readdirSync(snaps.dir)).toEqual([]);
  });

  test("a chain id that is not a sha256 digest never becomes a path", () => {
    const snaps = new OverlaySnapshots(path.join(dir, "d"));
    expect(() => snaps.pathOf("sha256:../../etc")).toThrow(/chain_id/);
  });

});
