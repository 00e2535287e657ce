import { describe, expect, test } from "bun:test";
import { rechunk } from "../../../src/cli/rechunk.ts";

async function* pieces(...sizes: number[]) {
  let next = 0;
  for (const n of sizes) yield Uint8Array.from({ length: n }, () => next++ % 256);
}
async function collect(it: AsyncIterable<Uint8Array>) {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

describe("rechunk", () => {
  test("regroups uneven pieces into equal chunks and a shorter last one, bytes in order", async () => {
    const out = await collect(rechunk(pieces(3, 7, 1, 0, 5), 4));
    expect(out.map((c) => c.length)).toEqual([4, 4, 4, 4]);
    expect(Buffer.concat(out)).toEqual(Buffer.from(Uint8Array.from({ length: 16 }, (_, i) => i)));
  });
  test("a last partial chunk is not padded", async () => {
    expect((await collect(rechunk(pieces(5), 4))).map((c) => c.length)).toEqual([4, 1]);
  });
  test("an empty source yields nothing", async () => {
    expect(await collect(rechunk(pieces(), 4))).toEqual([]);
  });
  test("chunks handed out are not overwritten by later ones", async () => {
    const out = await collect(rechunk(pieces(8), 4));
    expect([...(out[0] ?? [])]).toEqual([0, 1, 2, 3]);
  });
});
