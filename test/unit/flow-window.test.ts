import { describe, expect, test } from "bun:test";
import { RecvWindow, SendWindow } from "../../src/flow-window.ts";

describe("flow-control windows (SPDY and HTTP/2)", () => {
  test("a send window shrinks as we send, grows with WINDOW_UPDATE, and refuses to pass 2^31-1", () => {
    const w = new SendWindow(65536);
    w.consume(65536);
    expect(w.size).toBe(0);
    expect(w.grow(100)).toBe(true);
    expect(w.size).toBe(100);
    expect(w.grow(0x7fffffff)).toBe(false);
    expect(w.size).toBe(100);
  });

  const takes: { desc: string; size: number; received: number; takes: number[]; grants: number[] }[] = [
    { desc: "nothing is granted until half the window was read", size: 100, received: 100, takes: [10, 30, 9], grants: [0, 0, 0] },
    { desc: "reaching half grants everything read so far", size: 100, received: 100, takes: [30, 20], grants: [0, 50] },
    { desc: "after a grant the count starts again", size: 100, received: 100, takes: [60, 40], grants: [60, 0] },
    { desc: "one large read grants at once", size: 64, received: 64, takes: [64], grants: [64] },
  ];
  for (const tc of takes) {
    test(`a receive window: ${tc.desc}`, () => {
      const w = new RecvWindow(tc.size);
      expect(w.receive(tc.received)).toBe(true);
      expect(tc.takes.map((n) => w.take(n))).toEqual(tc.grants);
    });
  }

  test("a receive window reports a peer that sends past it, and grants make room again", () => {
    const w = new RecvWindow(100);
    expect(w.receive(100)).toBe(true);
    expect(w.receive(1)).toBe(false);
    const w2 = new RecvWindow(100);
    w2.receive(100);
    w2.take(50);
    expect(w2.receive(50)).toBe(true);
    expect(w2.receive(1)).toBe(false);
  });
});
