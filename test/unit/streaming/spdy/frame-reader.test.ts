import { describe, expect, test } from "bun:test";
import { SpdySessionError } from "../../../../src/streaming/spdy/errors.ts";
import { FrameReader } from "../../../../src/streaming/spdy/frame-reader.ts";
import { encodeFrame } from "../../../../src/streaming/spdy/frames.ts";
import { HeaderCompressor } from "../../../../src/streaming/spdy/header-zlib.ts";

/** Runs bytes through a reader in the given pieces and records what it reports. */
function events(pieces: Uint8Array[], maxControl = 1 << 20): string[] {
  const out: string[] = [];
  const r = new FrameReader(
    {
      control: (type, flags, payload) => out.push(`control ${type} ${flags} ${Buffer.from(payload).toString("hex")}`),
      dataStart: (id, n, fin) => out.push(`data ${id} ${n} ${fin}`),
      dataPiece: (p) => out.push(`piece ${Buffer.from(p).toString("hex")}`),
      dataEnd: () => out.push("end"),
    },
    maxControl,
  );
  for (const p of pieces) r.push(p);
  return out;
}

/** Merges consecutive pieces, so splits can be compared with whole deliveries. */
const merged = (ev: string[]) =>
  ev.reduce<string[]>((acc, e) => {
    const last = acc[acc.length - 1];
    if (e.startsWith("piece ") && last?.startsWith("piece ")) acc[acc.length - 1] = last + e.slice(6);
    else acc.push(e);
    return acc;
  }, []);

const c = new HeaderCompressor();
const stream = Buffer.concat([
  encodeFrame({ type: "ping", id: 1 }, c),
  encodeFrame({ type: "data", streamId: 1, fin: false, data: Buffer.from("hello world") }, c),
  encodeFrame({ type: "syn_reply", streamId: 1, fin: false, headers: { a: "b" } }, c),
  encodeFrame({ type: "data", streamId: 3, fin: true, data: Buffer.alloc(0) }, c),
  encodeFrame({ type: "goaway", lastGoodStreamId: 0, status: 0 }, c),
]);

describe("FrameReader", () => {
  const whole = merged(events([stream]));

  test("reports control frames whole and data as start, pieces, end", () => {
    expect(whole[0]).toBe("control 6 0 00000001");
    expect(whole.slice(1, 4)).toEqual(["data 1 11 false", `piece ${Buffer.from("hello world").toString("hex")}`, "end"]);
    expect(whole[4]).toStartWith("control 2 0 00000001");
    expect(whole.slice(5, 7)).toEqual(["data 3 0 true", "end"]);
    expect(whole[7]).toBe("control 7 0 0000000000000000");
  });

  const splits: { desc: string; cut: (b: Buffer) => Uint8Array[] }[] = [
    { desc: "one byte at a time", cut: (b) => [...b].map((x) => Uint8Array.of(x)) },
    { desc: "in 3-byte pieces", cut: (b) => Array.from({ length: Math.ceil(b.length / 3) }, (_, i) => b.subarray(i * 3, i * 3 + 3)) },
    { desc: "split inside the first frame header", cut: (b) => [b.subarray(0, 5), b.subarray(5)] },
    { desc: "with empty chunks between", cut: (b) => [b.subarray(0, 20), new Uint8Array(0), b.subarray(20)] },
  ];
  for (const tc of splits) {
    test(`gives the same frames when the bytes arrive ${tc.desc}`, () => {
      expect(merged(events(tc.cut(stream)))).toEqual(whole);
    });
  }

  test("passes a data payload on as it arrives, without waiting for the frame to complete", () => {
    const frame = encodeFrame({ type: "data", streamId: 5, fin: true, data: Buffer.alloc(1000, 1) }, c);
    const ev = events([frame.subarray(0, 108)]);
    expect(ev).toEqual(["data 5 1000 true", `piece ${"01".repeat(100)}`]);
  });

  const bad: { desc: string; bytes: string; message: RegExp }[] = [
    { desc: "a control frame of SPDY version 2", bytes: "8002 0006 00 000004 00000001", message: /version 2, not 3/ },
    { desc: "a control frame of version 4 (HTTP/2 would start differently, but a peer may lie)", bytes: "8004 0001 00 00000a", message: /version 4/ },
    { desc: "a control frame longer than the limit", bytes: "8003 0008 00 100000", message: /1048576 bytes exceeds the limit of 65536/ },
    { desc: "DATA for stream 0", bytes: "00000000 00 000001 00", message: /DATA frame for stream 0/ },
  ];
  for (const tc of bad) {
    test(`ends with a session error on ${tc.desc}`, () => {
      const run = () => events([Buffer.from(tc.bytes.replace(/\s+/g, ""), "hex")], 65536);
      expect(run).toThrow(SpdySessionError);
      expect(run).toThrow(tc.message);
    });
  }

  test("reads nothing more after a session error", () => {
    const out: string[] = [];
    const r = new FrameReader({ control: (t) => out.push(`c${t}`), dataStart: () => {}, dataPiece: () => {}, dataEnd: () => {} }, 64);
    expect(() => r.push(Buffer.from("8002000600000004", "hex"))).toThrow();
    r.push(encodeFrame({ type: "ping", id: 1 }, c));
    expect(out).toEqual([]);
  });
});
