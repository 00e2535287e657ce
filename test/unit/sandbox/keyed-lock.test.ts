import { expect, test } from "bun:test";
import { KeyedLock } from "../../../src/runtime/keyed-lock.ts";

test("runs for one key never interleave, while other keys run alongside", async () => {
  const lock = new KeyedLock();
  const log: string[] = [];
  const step = (key: string, tag: string, ms: number) =>
    lock.run(key, async () => {
      log.push(`${tag}+`);
      await Bun.sleep(ms);
      log.push(`${tag}-`);
    });
  await Promise.all([step("a", "a1", 20), step("a", "a2", 1), step("b", "b1", 5)]);
  expect(log.indexOf("a1-")).toBeLessThan(log.indexOf("a2+"));
  expect(log.indexOf("b1+")).toBeLessThan(log.indexOf("a1-"));
});

test("a failed run releases the key for the next", async () => {
  const lock = new KeyedLock();
  await expect(lock.run("k", async () => { throw new Error("boom"); })).rejects.toThrow("boom");
  expect(await lock.run("k", async () => 7)).toBe(7);
});
