import { describe, expect, test } from "bun:test";
import { Signal } from "../../../../src/streaming/spdy/signal.ts";

describe("signal", () => {
  test("a signal wakes every waiter once", async () => {
    const s = new Signal();
    let woken = 0;
    const waits = [s.wait(), s.wait()].map((p) => p.then(() => woken++));
    s.notify();
    await Promise.all(waits);
    expect(woken).toBe(2);
  });
});
