import { describe, expect, test } from "bun:test";
import { SpdySessionError } from "../../../../src/streaming/spdy/errors.ts";
import { FrameReader } from "../../../../src/streaming/spdy/frame-reader.ts";
import { type Frame, decodeControlFrame, encodeFrame } from "../../../../src/streaming/spdy/frames.ts";
import { HeaderCompressor, HeaderDecompressor } from "../../../../src/streaming/spdy/header-zlib.ts";
import { RstStatus } from "../../../../src/streaming/spdy/index.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex").toString("hex");
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Decodes one encoded frame back with a FrameReader, as a session would. */
function decodeOne(bytes: Uint8Array, decompressor = new HeaderDecompressor(1 << 20)): Frame {
  let out: Frame | undefined;
  let data: { streamId: number; fin: boolean; parts: Uint8Array[] } | undefined;
  const reader = new FrameReader(
    {
      control: (type, flags, payload) => {
        const f = decodeControlFrame(type, flags, payload, decompressor);
        if (f.type !== "unknown") out = f;
      },
      dataStart: (streamId, _n, fin) => (data = { streamId, fin, parts: [] }),
      dataPiece: (p) => data?.parts.push(p.slice()),
      dataEnd: () => data && (out = { type: "data", streamId: data.streamId, fin: data.fin, data: Buffer.concat(data.parts) }),
    },
    1 << 24,
  );
  reader.push(bytes);
  if (!out) throw new Error("no frame");
  return out;
}

/** Control frames without header blocks, byte for byte as draft 3.1 section 2.6 lays them out. */
const fixed: { desc: string; frame: Frame; bytes: string }[] = [
  { desc: "RST_STREAM stream 3 CANCEL", frame: { type: "rst_stream", streamId: 3, status: RstStatus.cancel }, bytes: "8003 0003 00 000008 00000003 00000005" },
  { desc: "RST_STREAM FLOW_CONTROL_ERROR", frame: { type: "rst_stream", streamId: 0x7fffffff, status: 7 }, bytes: "8003 0003 00 000008 7fffffff 00000007" },
  {
    desc: "SETTINGS with MAX_CONCURRENT_STREAMS and INITIAL_WINDOW_SIZE",
    frame: { type: "settings", clear: false, entries: [{ id: 4, value: 1000, flags: 0 }, { id: 7, value: 262144, flags: 0 }] },
    bytes: "8003 0004 00 000014 00000002 00000004 000003e8 00000007 00040000",
  },
  { desc: "SETTINGS clearing, with a persisted value", frame: { type: "settings", clear: true, entries: [{ id: 3, value: 50, flags: 2 }] }, bytes: "8003 0004 01 00000c 00000001 02000003 00000032" },
  { desc: "SETTINGS with no entries", frame: { type: "settings", clear: false, entries: [] }, bytes: "8003 0004 00 000004 00000000" },
  { desc: "PING 1", frame: { type: "ping", id: 1 }, bytes: "8003 0006 00 000004 00000001" },
  { desc: "PING with the top id", frame: { type: "ping", id: 0xfffffffe }, bytes: "8003 0006 00 000004 fffffffe" },
  { desc: "GOAWAY OK after stream 5", frame: { type: "goaway", lastGoodStreamId: 5, status: 0 }, bytes: "8003 0007 00 000008 00000005 00000000" },
  { desc: "GOAWAY PROTOCOL_ERROR with no streams", frame: { type: "goaway", lastGoodStreamId: 0, status: 1 }, bytes: "8003 0007 00 000008 00000000 00000001" },
  { desc: "WINDOW_UPDATE for the session", frame: { type: "window_update", streamId: 0, delta: 0x3f0000 }, bytes: "8003 0009 00 000008 00000000 003f0000" },
  { desc: "WINDOW_UPDATE for stream 1", frame: { type: "window_update", streamId: 1, delta: 0x7fffffff }, bytes: "8003 0009 00 000008 00000001 7fffffff" },
  { desc: "DATA with FIN", frame: { type: "data", streamId: 1, fin: true, data: Buffer.from("hi") }, bytes: "00000001 01 000002 6869" },
  { desc: "empty DATA with FIN", frame: { type: "data", streamId: 8, fin: true, data: Buffer.alloc(0) }, bytes: "00000008 01 000000" },
  { desc: "DATA without FIN", frame: { type: "data", streamId: 0x7fffffff, fin: false, data: Buffer.from([0, 255]) }, bytes: "7fffffff 00 000002 00ff" },
];

describe("frames without header blocks", () => {
  for (const tc of fixed) {
    test(`${tc.desc} encodes to the spec's bytes and decodes back`, () => {
      const bytes = encodeFrame(tc.frame, new HeaderCompressor());
      expect(toHex(bytes)).toBe(hex(tc.bytes));
      expect(decodeOne(bytes)).toEqual(tc.frame);
    });
  }
});

const withHeaders: { desc: string; frame: Frame; prefix: string }[] = [
  {
    desc: "SYN_STREAM with priority 3",
    frame: { type: "syn_stream", streamId: 1, associatedId: 0, priority: 3, fin: false, unidirectional: false, headers: { streamtype: "error" } },
    prefix: "8003 0001 00 ______ 00000001 00000000 60 00",
  },
  {
    desc: "SYN_STREAM with FIN and UNIDIRECTIONAL, associated to stream 1",
    frame: { type: "syn_stream", streamId: 2, associatedId: 1, priority: 7, fin: true, unidirectional: true, headers: {} },
    prefix: "8003 0001 03 ______ 00000002 00000001 e0 00",
  },
  { desc: "SYN_REPLY with no headers", frame: { type: "syn_reply", streamId: 3, fin: false, headers: {} }, prefix: "8003 0002 00 ______ 00000003" },
  { desc: "SYN_REPLY with FIN", frame: { type: "syn_reply", streamId: 5, fin: true, headers: { status: "200" } }, prefix: "8003 0002 01 ______ 00000005" },
  { desc: "HEADERS", frame: { type: "headers", streamId: 7, fin: false, headers: { a: "b", c: "d\0e" } }, prefix: "8003 0008 00 ______ 00000007" },
];

describe("frames with header blocks", () => {
  for (const tc of withHeaders) {
    test(`${tc.desc} has the spec's fixed part, then a compressed block that decodes back`, () => {
      const bytes = encodeFrame(tc.frame, new HeaderCompressor());
      const fixedPart = hex(tc.prefix.replace("______", "000000"));
      const got = toHex(bytes);
      expect(got.slice(0, 10)).toBe(fixedPart.slice(0, 10));
      expect(got.slice(16, fixedPart.length)).toBe(fixedPart.slice(16));
      expect(bytes.length - 8).toBe(new DataView(bytes.buffer).getUint32(4) & 0xffffff);
      expect(got.slice(fixedPart.length, fixedPart.length + 12)).toBe("78f9e3c6a7c2");
      const back = decodeOne(bytes) as Frame & { headers: object };
      expect({ ...back, headers: { ...back.headers } } as Frame).toEqual(tc.frame);
    });
  }
});

describe("malformed control frames are session errors", () => {
  const d = () => new HeaderDecompressor(1 << 20);
  const p = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
  const cases: { desc: string; type: number; payload: Buffer; message: RegExp }[] = [
    { desc: "RST_STREAM of 4 bytes", type: 3, payload: p("00000001"), message: /RST_STREAM frame has length 4/ },
    { desc: "RST_STREAM for stream 0", type: 3, payload: p("00000000 00000005"), message: /RST_STREAM frame for stream 0/ },
    { desc: "RST_STREAM with status 0", type: 3, payload: p("00000001 00000000"), message: /status 0/ },
    { desc: "PING of 8 bytes", type: 6, payload: p("00000001 00000001"), message: /PING frame has length 8/ },
    { desc: "GOAWAY of 4 bytes (SPDY/2's layout)", type: 7, payload: p("00000001"), message: /GOAWAY frame has length 4/ },
    { desc: "WINDOW_UPDATE of 12 bytes", type: 9, payload: p("00000001 00000001 00000000"), message: /length 12/ },
    { desc: "WINDOW_UPDATE with delta 0", type: 9, payload: p("00000001 00000000"), message: /delta 0/ },
    { desc: "SETTINGS whose count disagrees with its length", type: 4, payload: p("00000002 00000007 00010000"), message: /SETTINGS frame has length 12/ },
    { desc: "SETTINGS of 2 bytes", type: 4, payload: p("0000"), message: /SETTINGS frame has length 2/ },
    { desc: "SYN_STREAM of 6 bytes", type: 1, payload: p("00000001 0000"), message: /SYN_STREAM frame has length 6/ },
    { desc: "SYN_STREAM for stream 0", type: 1, payload: p("00000000 00000000 0000 78f9e3c6a7c2 0000ffff"), message: /stream 0/ },
    { desc: "SYN_REPLY of 2 bytes", type: 2, payload: p("0000"), message: /SYN_REPLY frame has length 2/ },
    { desc: "HEADERS whose block is not zlib", type: 8, payload: p("00000001 deadbeefdeadbeef"), message: /zlib header/ },
  ];
  for (const tc of cases) {
    test(`${tc.desc}`, () => {
      expect(() => decodeControlFrame(tc.type, 0, tc.payload, d())).toThrow(SpdySessionError);
      expect(() => decodeControlFrame(tc.type, 0, tc.payload, d())).toThrow(tc.message);
    });
  }

  test("an unknown control frame type (CREDENTIAL, 10) is not an error: it decodes as unknown", () => {
    expect(decodeControlFrame(10, 0, p("00"), d())).toEqual({ type: "unknown", frameType: 10 });
  });

  test("a header block that inflates but breaks the rules is a stream error, reported with the frame", () => {
    const c = new HeaderCompressor();
    const block = Buffer.from("00000001 00000004 506f7274 00000001 31".replace(/\s+/g, ""), "hex"); // "Port": "1"
    const payload = Buffer.concat([p("00000001 00000000 0000"), c.compress(block)]);
    const f = decodeControlFrame(1, 0, payload, d());
    expect(f).toMatchObject({ type: "syn_stream", streamId: 1, headerError: expect.stringMatching(/not lowercase/) });
  });
});

describe("header blocks we would not send", () => {
  test("a header set over 1 MiB is refused before it touches the compressor, which stays in step", () => {
    const c = new HeaderCompressor();
    const d = new HeaderDecompressor(1 << 20);
    expect(() => encodeFrame({ type: "syn_reply", streamId: 1, fin: false, headers: { big: "x".repeat(1024 * 1024) } }, c)).toThrow(/larger than 1048576/);
    const next = encodeFrame({ type: "syn_reply", streamId: 3, fin: false, headers: { ok: "1" } }, c);
    expect({ ...(decodeOne(next, d) as { headers: object }).headers }).toEqual({ ok: "1" });
  });
});
