import { describe, expect, test } from "bun:test";
import { collectWhile } from "../../../../src/image/unpack/collect-while.ts";

describe("collectWhile", () => {
  test("collects while the work runs and stops when it ends", async () => {
    let n = 0;
    const result = await collectWhile(() => Bun.sleep(120).then(() => "done"), 10, () => n++);
    expect(result).toBe("done");
    expect(n).toBeGreaterThanOrEqual(3);
    const atEnd = n;
    await Bun.sleep(50);
    expect(n).toBe(atEnd);
  });

  test("stops collecting when the work fails, and passes the error on", async () => {
    let n = 0;
    const err = await collectWhile(() => Bun.sleep(40).then(() => Promise.reject(new Error("bad layer"))), 5, () => n++).catch((e) => e);
    expect(err.message).toBe("bad layer");
    const atEnd = n;
    await Bun.sleep(30);
    expect(n).toBe(atEnd);
  });
});
