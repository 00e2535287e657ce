/**
 * The server side of HTTP/2 (src/server/h2/connection.ts) driven frame by frame through
 * an in-memory transport: what a well-behaved client gets, and what each way of breaking
 * RFC 9113 costs the one who breaks it (a stream reset, or the connection).
 */
import { describe, expect, test } from "bun:test";
import { type ConnectionOptions, H2Connection, type Transport } from "../../../../src/server/h2/connection.ts";
import { ErrorCode, Flag, FrameType, PREFACE, Setting, frame, wordsFrame } from "../../../../src/server/h2/frames.ts";
import { HpackDecoder, encodeHeaderBlock } from "../../../../src/server/h2/hpack.ts";
import { checkRequestFields } from "../../../../src/server/h2/request-fields.ts";
import type { H2Stream } from "../../../../src/server/h2/stream.ts";

type Frame = { type: number; flags: number; stream: number; payload: Buffer };

/** A client on the other end of an in-memory transport: sends frames, parses what comes back. */
function peer(opts: Partial<ConnectionOptions> = {}, settings: [number, number][] = []) {
  const received: Frame[] = [];
  let pending = Buffer.alloc(0);
  let accepting = true;
  const state = { ended: false, destroyed: false };
  const decoder = new HpackDecoder({ maxTableSize: 4096, maxHeaderListSize: 1 << 20 });
  const streams: H2Stream[] = [];
  const transport: Transport = {
    write(bytes) {
      pending = Buffer.concat([pending, bytes]);
      while (pending.byteLength >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.byteLength < 9 + length) break;
        received.push({ type: pending[3]!, flags: pending[4]!, stream: pending.readUInt32BE(5), payload: Buffer.from(pending.subarray(9, 9 + length)) });
        pending = pending.subarray(9 + length);
      }
      return accepting;
    },
    end: () => void (state.ended = true),
    destroy: () => void (state.destroyed = true),
  };
  const conn = new H2Connection(transport, {
    maxConcurrentStreams: 4,
    maxHeaderListSize: 4096,
    window: 65_535,
    onStream: (s) => streams.push(s),
    ...opts,
  });
  const settingsPayload = Buffer.alloc(6 * settings.length);
  settings.forEach(([id, v], i) => {
    settingsPayload.writeUInt16BE(id, 6 * i);
    settingsPayload.writeUInt32BE(v, 6 * i + 2);
  });
  conn.receive(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0, settingsPayload)]));
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return {
    conn,
    streams,
    received,
    state,
    tick,
    send: (...frames: Uint8Array[]) => conn.receive(Buffer.concat(frames)),
    /** Makes the transport refuse (false) or take (true) more; taking more tells the connection. */
    setAccepting(v: boolean) {
      accepting = v;
      if (v) conn.writable();
    },
    of: (type: number, stream?: number) => received.filter((f) => f.type === type && (stream === undefined || f.stream === stream)),
    headersOf(stream: number) {
      return received.filter((f) => f.type === FrameType.HEADERS && f.stream === stream).map((f) => decoder.decode(f.payload).fields);
    },
    goaway: () => received.find((f) => f.type === FrameType.GOAWAY)?.payload.readUInt32BE(4),
    reset: (stream: number) => received.find((f) => f.type === FrameType.RST_STREAM && f.stream === stream)?.payload.readUInt32BE(0),
  };
}

const REQUEST: [string, string][] = [
  [":method", "POST"],
  [":scheme", "http"],
  [":authority", "localhost"],
  [":path", "/runtime.v1.RuntimeService/Version"],
  ["content-type", "application/grpc"],
  ["te", "trailers"],
];
const headers = (id: number, fields: [string, string][] = REQUEST, flags: number = Flag.END_HEADERS) => frame(FrameType.HEADERS, flags, id, encodeHeaderBlock(fields));
const data = (id: number, bytes: Uint8Array, flags = 0) => frame(FrameType.DATA, flags, id, bytes);
const settingsOf = (f: Frame) => Object.fromEntries(Array.from({ length: f.payload.byteLength / 6 }, (_, i) => [f.payload.readUInt16BE(6 * i), f.payload.readUInt32BE(6 * i + 2)]));

async function readAll(s: H2Stream): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of s.body()) parts.push(c);
  return Buffer.concat(parts);
}

describe("a well-behaved client", () => {
  test("gets the server's SETTINGS, an ack of its own, and PING answered with the same bytes", async () => {
    const p = peer({ maxConcurrentStreams: 7 });
    p.send(frame(FrameType.PING, 0, 0, Buffer.from("12345678")));
    await p.tick();
    const [ours, ack] = p.of(FrameType.SETTINGS);
    expect(settingsOf(ours!)).toEqual({ [Setting.MAX_CONCURRENT_STREAMS]: 7, [Setting.INITIAL_WINDOW_SIZE]: 65_535, [Setting.MAX_HEADER_LIST_SIZE]: 4096 });
    expect(ack!.flags).toBe(Flag.ACK);
    const pong = p.of(FrameType.PING)[0]!;
    expect(pong.flags).toBe(Flag.ACK);
    expect(pong.payload.toString()).toBe("12345678");
  });

  test("a request's headers, body and end reach the handler; the response goes out as HEADERS, DATA, trailers", async () => {
    const p = peer();
    p.send(headers(1), data(1, Buffer.from("hello ")), data(1, Buffer.from("world"), Flag.END_STREAM));
    const s = p.streams[0]!;
    expect(s.headers.get(":path")).toBe("/runtime.v1.RuntimeService/Version");
    expect(s.headers.get("te")).toBe("trailers");
    expect((await readAll(s)).toString()).toBe("hello world");
    s.respond([[":status", "200"], ["content-type", "application/grpc"]]);
    s.write(Buffer.from("answer"));
    s.end([["grpc-status", "0"]]);
    await p.tick();
    expect(p.received.filter((f) => f.stream === 1).map((f) => [f.type, f.flags])).toEqual([
      [FrameType.HEADERS, Flag.END_HEADERS],
      [FrameType.DATA, 0],
      [FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM],
    ]);
    expect(p.headersOf(1)).toEqual([[[":status", "200"], ["content-type", "application/grpc"]], [["grpc-status", "0"]]]);
    expect(s.closed).toBe(true);
    expect(p.conn.streamCount).toBe(0);
  });

  test("a header block split over CONTINUATION frames, and padded frames, are read", async () => {
    const p = peer();
    const block = encodeHeaderBlock(REQUEST);
    const padded = Buffer.concat([Buffer.from([3]), block.subarray(0, 10), Buffer.alloc(3)]);
    p.send(
      frame(FrameType.HEADERS, Flag.PADDED, 1, padded),
      frame(FrameType.CONTINUATION, 0, 1, block.subarray(10, 20)),
      frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(20)),
      frame(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1, Buffer.from([2, 0x61, 0x62, 0, 0])),
    );
    const s = p.streams[0]!;
    expect(s.headers.get(":method")).toBe("POST");
    expect((await readAll(s)).toString()).toBe("ab");
  });

  test("response data waits for the client's flow-control window, per stream and per connection", async () => {
    const p = peer({}, [[Setting.INITIAL_WINDOW_SIZE, 10]]);
    p.send(headers(1, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    const s = p.streams[0]!;
    s.respond([[":status", "200"]]);
    s.write(Buffer.alloc(25, 1));
    s.end([["grpc-status", "0"]]);
    await p.tick();
    const dataBytes = () => p.of(FrameType.DATA, 1).reduce((n, f) => n + f.payload.byteLength, 0);
    expect(dataBytes()).toBe(10);
    expect(s.unsent).toBe(15);
    p.send(wordsFrame(FrameType.WINDOW_UPDATE, 1, 10));
    await p.tick();
    expect(dataBytes()).toBe(20);
    // A bigger initial window applies to the open stream at once.
    p.send(frame(FrameType.SETTINGS, 0, 0, Buffer.from([0, Setting.INITIAL_WINDOW_SIZE, 0, 0, 0, 100])));
    await p.tick();
    expect(dataBytes()).toBe(25);
    expect(p.headersOf(1).at(-1)).toEqual([["grpc-status", "0"]]);
  });

  test("a body the handler reads is credited back: the stream's window is topped up once half is used", async () => {
    const p = peer({ window: 1000 });
    p.send(headers(1), data(1, Buffer.alloc(600)));
    const s = p.streams[0]!;
    const it = s.body();
    expect((await it.next()).value!.byteLength).toBe(600);
    await p.tick();
    expect(p.of(FrameType.WINDOW_UPDATE, 1).map((f) => f.payload.readUInt32BE(0))).toEqual([600]);
    expect(p.of(FrameType.WINDOW_UPDATE, 0).map((f) => f.payload.readUInt32BE(0))).toEqual([600]);
  });

  test("a response header block bigger than a frame goes out as HEADERS and CONTINUATION", async () => {
    const p = peer();
    p.send(headers(1, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    p.streams[0]!.respond([[":status", "200"], ["x-big", "v".repeat(40_000)]], true);
    await p.tick();
    const frames = p.received.filter((f) => f.stream === 1);
    expect(frames.map((f) => f.type)).toEqual([FrameType.HEADERS, FrameType.CONTINUATION, FrameType.CONTINUATION]);
    expect(frames.map((f) => f.flags)).toEqual([Flag.END_STREAM, 0, Flag.END_HEADERS]);
  });

  test("an answer that refused the request's body is followed by RST_STREAM NO_ERROR", async () => {
    const p = peer();
    p.send(headers(1), data(1, Buffer.from("partial")));
    p.streams[0]!.cutRequestOnEnd = true;
    p.streams[0]!.respond([[":status", "200"], ["grpc-status", "8"]], true);
    await p.tick();
    expect(p.reset(1)).toBe(ErrorCode.NO_ERROR);
    // More of the body, still in flight, is dropped without a fuss.
    p.send(data(1, Buffer.from("late"), Flag.END_STREAM));
    await p.tick();
    expect(p.goaway()).toBeUndefined();
  });

  test("any other answer given before the request's end waits for that end, dropping (and crediting) the rest of the body", async () => {
    const p = peer({ window: 1000 });
    p.send(headers(1), data(1, Buffer.alloc(400)));
    const s = p.streams[0]!;
    s.respond([[":status", "200"], ["grpc-status", "12"]], true);
    await p.tick();
    expect(p.reset(1)).toBeUndefined();
    expect(s.closed).toBe(false);
    p.send(data(1, Buffer.alloc(400)));
    await p.tick();
    expect(p.of(FrameType.WINDOW_UPDATE, 1).reduce((n, f) => n + f.payload.readUInt32BE(0), 0)).toBe(800);
    p.send(data(1, Buffer.alloc(400), Flag.END_STREAM));
    expect(s.closed).toBe(true);
    expect(p.conn.streamCount).toBe(0);
  });

  test("GOAWAY from the server: open streams finish, new ones are refused, then the connection ends", async () => {
    const p = peer();
    p.send(headers(1, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    p.conn.close();
    p.send(headers(3, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    await p.tick();
    expect(p.goaway()).toBe(ErrorCode.NO_ERROR);
    expect(p.reset(3)).toBe(ErrorCode.REFUSED_STREAM);
    expect(p.state.ended).toBe(false);
    p.streams[0]!.respond([[":status", "200"]], true);
    await p.tick();
    expect(p.state.ended).toBe(true);
    expect(p.conn.closed).toBe(true);
  });
});

describe("a client that says GOAWAY", () => {
  test("its open stream is still answered, then the connection ends", async () => {
    const p = peer();
    p.send(headers(1, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    p.send(wordsFrame(FrameType.GOAWAY, 0, 1, ErrorCode.NO_ERROR));
    await p.tick();
    expect(p.state.ended).toBe(false);
    p.streams[0]!.respond([[":status", "200"]], true);
    await p.tick();
    expect(p.headersOf(1)).toEqual([[[":status", "200"]]]);
    expect(p.state.ended).toBe(true);
  });
});

describe("a client that breaks the rules", () => {
  const connectionErrors: [string, (p: ReturnType<typeof peer>) => void, number][] = [
    ["a frame over SETTINGS_MAX_FRAME_SIZE", (p) => p.send(data(1, Buffer.alloc(16_385))), ErrorCode.FRAME_SIZE_ERROR],
    ["HEADERS on an even stream", (p) => p.send(headers(2)), ErrorCode.PROTOCOL_ERROR],
    ["PUSH_PROMISE", (p) => p.send(frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4))), ErrorCode.PROTOCOL_ERROR],
    ["DATA on a stream never opened", (p) => p.send(data(5, Buffer.from("x"))), ErrorCode.PROTOCOL_ERROR],
    ["another frame in the middle of a header block", (p) => p.send(frame(FrameType.HEADERS, 0, 1, encodeHeaderBlock(REQUEST)), frame(FrameType.PING, 0, 0, Buffer.alloc(8))), ErrorCode.PROTOCOL_ERROR],
    ["CONTINUATION out of nowhere", (p) => p.send(frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, Buffer.alloc(1))), ErrorCode.PROTOCOL_ERROR],
    ["a header block HPACK cannot decode", (p) => p.send(frame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))), ErrorCode.COMPRESSION_ERROR],
    ["DATA past the connection's window", (p) => p.send(headers(1), ...Array.from({ length: 5 }, () => data(1, Buffer.alloc(16_000)))), ErrorCode.FLOW_CONTROL_ERROR],
    ["padding longer than its frame", (p) => p.send(headers(1), frame(FrameType.DATA, Flag.PADDED, 1, Buffer.from([9, 1, 2]))), ErrorCode.PROTOCOL_ERROR],
    ["a WINDOW_UPDATE of 0 for the connection", (p) => p.send(wordsFrame(FrameType.WINDOW_UPDATE, 0, 0)), ErrorCode.PROTOCOL_ERROR],
    ["a window pushed over 2^31-1", (p) => p.send(wordsFrame(FrameType.WINDOW_UPDATE, 0, 2 ** 31 - 1)), ErrorCode.FLOW_CONTROL_ERROR],
    ["SETTINGS of a length not a multiple of 6", (p) => p.send(frame(FrameType.SETTINGS, 0, 0, Buffer.alloc(5))), ErrorCode.FRAME_SIZE_ERROR],
    ["SETTINGS_MAX_FRAME_SIZE under 16384", (p) => p.send(frame(FrameType.SETTINGS, 0, 0, Buffer.from([0, Setting.MAX_FRAME_SIZE, 0, 0, 0x10, 0]))), ErrorCode.PROTOCOL_ERROR],
    ["a PING of 7 bytes", (p) => p.send(frame(FrameType.PING, 0, 0, Buffer.alloc(7))), ErrorCode.FRAME_SIZE_ERROR],
    ["a GOAWAY of 4 bytes", (p) => p.send(frame(FrameType.GOAWAY, 0, 0, Buffer.alloc(4))), ErrorCode.FRAME_SIZE_ERROR],
    ["RST_STREAM on a stream never opened", (p) => p.send(wordsFrame(FrameType.RST_STREAM, 9, ErrorCode.CANCEL)), ErrorCode.PROTOCOL_ERROR],
    ["a header block past four times the list size", (p) => p.send(frame(FrameType.HEADERS, 0, 1, Buffer.alloc(16_000)), frame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(16_000)), frame(FrameType.CONTINUATION, 0, 1, Buffer.alloc(16_000))), ErrorCode.ENHANCE_YOUR_CALM],
  ];
  for (const [what, act, code] of connectionErrors) {
    test(`${what}: GOAWAY ${code} and the connection closes`, async () => {
      const p = peer();
      act(p);
      await p.tick();
      expect(p.goaway()).toBe(code);
      expect(p.state.ended).toBe(true);
      expect(p.conn.closed).toBe(true);
    });
  }

  test("a connection that does not start with the preface is closed", () => {
    const received: Uint8Array[] = [];
    let ended = false;
    const conn = new H2Connection({ write: (b) => (received.push(b), true), end: () => (ended = true), destroy: () => {} }, { maxConcurrentStreams: 1, maxHeaderListSize: 1024, window: 65_535, onStream: () => {} });
    conn.receive(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(ended).toBe(true);
    // Our SETTINGS (9 + 18 bytes), then GOAWAY PROTOCOL_ERROR.
    const all = Buffer.concat(received);
    expect(all[27 + 3]).toBe(FrameType.GOAWAY);
    expect(all.readUInt32BE(27 + 9 + 4)).toBe(ErrorCode.PROTOCOL_ERROR);
  });

  test("malformed requests are reset with PROTOCOL_ERROR and never reach the handler; the connection goes on", async () => {
    const bad: [string, string][][] = [
      REQUEST.filter(([k]) => k !== ":path"),
      [...REQUEST, ["Content-Length", "1"]],
      [...REQUEST, ["connection", "keep-alive"]],
      [["content-type", "application/grpc"], ...REQUEST],
      [...REQUEST.map(([k, v]): [string, string] => (k === "te" ? [k, "gzip"] : [k, v]))],
      [...REQUEST, [":status", "200"]],
      [...REQUEST, ["x-bad", "line\nbreak"]],
    ];
    const p = peer({ maxConcurrentStreams: 100 });
    bad.forEach((fields, i) => p.send(headers(1 + 2 * i, fields, Flag.END_HEADERS | Flag.END_STREAM)));
    await p.tick();
    expect(bad.map((_, i) => p.reset(1 + 2 * i))).toEqual(bad.map(() => ErrorCode.PROTOCOL_ERROR));
    expect(p.streams.length).toBe(0);
    p.send(headers(99, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    expect(p.streams.length).toBe(1);
    expect(p.goaway()).toBeUndefined();
  });

  test("a header list over SETTINGS_MAX_HEADER_LIST_SIZE gets HTTP 431", async () => {
    const p = peer();
    p.send(headers(1, [...REQUEST, ["x-big", "v".repeat(5000)]], Flag.END_HEADERS | Flag.END_STREAM));
    await p.tick();
    expect(p.streams.length).toBe(0);
    expect(p.headersOf(1)).toEqual([[[":status", "431"]]]);
  });

  test("streams past the concurrent limit are refused; a reset stream whose handler still runs keeps its slot", async () => {
    const p = peer({ maxConcurrentStreams: 2 });
    p.send(headers(1), headers(3), headers(5));
    await p.tick();
    expect(p.streams.length).toBe(2);
    expect(p.reset(5)).toBe(ErrorCode.REFUSED_STREAM);
    const [first, second] = p.streams;
    first!.hold();
    second!.hold();
    p.send(wordsFrame(FrameType.RST_STREAM, 1, ErrorCode.CANCEL));
    expect(first!.closed).toBe(true);
    p.send(headers(7));
    await p.tick();
    expect(p.reset(7)).toBe(ErrorCode.REFUSED_STREAM);
    let released = false;
    first!.onReleased(() => (released = true));
    expect(released).toBe(false);
    first!.release();
    expect(released).toBe(true);
    p.send(headers(9));
    expect(p.streams.length).toBe(3);
  });

  test("a stream reset mid-body ends its reader with an error and runs its close listeners", async () => {
    const p = peer();
    p.send(headers(1), data(1, Buffer.from("part")));
    const s = p.streams[0]!;
    let closedWith = -1;
    s.onClose(() => (closedWith = s.closeCode));
    const reading = readAll(s);
    p.send(wordsFrame(FrameType.RST_STREAM, 1, ErrorCode.CANCEL));
    await expect(reading).rejects.toThrow("reset");
    expect(closedWith).toBe(ErrorCode.CANCEL);
    expect(() => s.respond([[":status", "200"]])).toThrow();
  });

  test("nothing more is written while the transport is full; all of it once it drains", async () => {
    const p = peer();
    p.send(headers(1, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    await p.tick();
    p.setAccepting(false);
    const s = p.streams[0]!;
    s.respond([[":status", "200"]]);
    s.write(Buffer.alloc(10_000));
    await p.tick();
    const before = p.received.length;
    s.write(Buffer.alloc(10_000));
    s.end([["grpc-status", "0"]]);
    await p.tick();
    expect(p.received.length).toBe(before);
    expect(s.unsent).toBe(10_000);
    p.setAccepting(true);
    await p.tick();
    expect(s.unsent).toBe(0);
    expect(p.headersOf(1).at(-1)).toEqual([["grpc-status", "0"]]);
  });

  test("PINGs sent without reading the answers: the connection is dropped once a MiB of them waits", async () => {
    const p = peer();
    p.setAccepting(false);
    p.send(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
    await p.tick();
    const flood = Buffer.concat(Array.from({ length: 70_000 }, () => frame(FrameType.PING, 0, 0, Buffer.alloc(8))));
    p.send(flood);
    expect(p.state.destroyed).toBe(true);
    expect(p.conn.closed).toBe(true);
  });
});

describe("a client that makes the server hold memory", () => {
  test("requests that are refused or reset while the client reads nothing: dropped once a MiB of answers waits", async () => {
    const p = peer({ maxConcurrentStreams: 100 });
    p.setAccepting(false);
    p.send(frame(FrameType.PING, 0, 0, Buffer.alloc(8)));
    await p.tick();
    const noPath = encodeHeaderBlock([[":method", "POST"]]);
    for (let round = 0; round < 20 && !p.state.destroyed; round++) {
      p.send(Buffer.concat(Array.from({ length: 10_000 }, (_, i) => frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1 + 2 * (round * 10_000 + i), noPath))));
    }
    expect(p.state.destroyed).toBe(true);
  });

  test("empty CONTINUATION frames count against the header block's bound", async () => {
    const p = peer({ maxHeaderListSize: 4096 });
    p.send(frame(FrameType.HEADERS, 0, 1, encodeHeaderBlock(REQUEST)));
    p.send(Buffer.concat(Array.from({ length: 10_000 }, () => frame(FrameType.CONTINUATION, 0, 1))));
    await p.tick();
    expect(p.goaway()).toBe(ErrorCode.ENHANCE_YOUR_CALM);
  });

  test("a body sent one byte per frame is gathered: the handler gets 4 KiB pieces, not a buffer per byte", async () => {
    const p = peer();
    p.send(headers(1));
    const one = data(1, Buffer.from([0x61]));
    p.send(Buffer.concat(Array.from({ length: 10_000 }, () => one)), data(1, new Uint8Array(0), Flag.END_STREAM));
    const sizes: number[] = [];
    for await (const piece of p.streams[0]!.body()) sizes.push(piece.byteLength);
    expect(sizes).toEqual([4096, 4096, 1808]);
  });

  test("a body that arrived whole but was reset before the handler read it ends the reader with an error, not a clean end", async () => {
    for (const cut of ["reset", "socket"] as const) {
      const p = peer();
      p.send(headers(1), data(1, Buffer.alloc(5000, 1)), data(1, Buffer.from("last"), Flag.END_STREAM));
      const it = p.streams[0]!.body();
      expect((await it.next()).value!.byteLength).toBe(5000);
      if (cut === "reset") p.send(wordsFrame(FrameType.RST_STREAM, 1, ErrorCode.CANCEL));
      else p.conn.transportClosed();
      await expect(it.next()).rejects.toThrow();
    }
  });
});

describe("sharing the way out", () => {
  test("with a slow reader every stream's data moves, in turn, not only the first ones'", async () => {
    const p = peer({ maxConcurrentStreams: 10 }, [[Setting.INITIAL_WINDOW_SIZE, 16 * 1024 * 1024]]);
    p.send(wordsFrame(FrameType.WINDOW_UPDATE, 0, 64 * 1024 * 1024));
    for (let i = 0; i < 8; i++) p.send(headers(1 + 2 * i, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    await p.tick();
    p.setAccepting(false);
    for (const s of p.streams) {
      s.respond([[":status", "200"]]);
      s.write(Buffer.alloc(1024 * 1024));
    }
    await p.tick();
    for (let drain = 0; drain < 16; drain++) {
      p.conn.writable();
      await p.tick();
    }
    for (const s of p.streams) expect(s.unsent).toBeLessThan(1024 * 1024);
  });

  test("trailers do not wait behind another stream's data that waits for the connection's window", async () => {
    const p = peer({}, [[Setting.INITIAL_WINDOW_SIZE, 1 << 20]]);
    p.send(headers(1, REQUEST, Flag.END_HEADERS | Flag.END_STREAM), headers(3, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
    const [a, b] = p.streams;
    a!.respond([[":status", "200"]]);
    a!.write(Buffer.alloc(100_000)); // 65,535 go out; the connection's window is then 0
    await p.tick();
    b!.respond([[":status", "200"]]);
    b!.end([["grpc-status", "0"]]);
    await p.tick();
    expect(p.headersOf(3)).toEqual([[[":status", "200"]], [["grpc-status", "0"]]]);
    expect(b!.closed).toBe(true);
    expect(a!.unsent).toBe(100_000 - 65_535);
  });
});

describe("random frames", () => {
  /** A small deterministic generator (xorshift32), so a failure can be replayed from its seed. */
  const rng = (seed: number) => () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };

  test("thousands of random frame sequences never throw out of the connection, and each ends served or closed", async () => {
    for (let seed = 1; seed <= 1500; seed++) {
      const r = rng(seed);
      const int = (n: number) => Math.floor(r() * n);
      const taken: number[] = [];
      const p = peer({
        maxConcurrentStreams: 3,
        onStream: (s) => {
          taken.push(s.id);
          // Handlers that answer at once, later, or never; some read the body first.
          const mode = int(4);
          if (mode === 0) s.respond([[":status", "200"]], true);
          if (mode === 1) void readAll(s).then(() => !s.closed && s.respond([[":status", "200"]], true), () => {});
          if (mode === 2) queueMicrotask(() => !s.closed && (s.respond([[":status", "200"]]), s.write(Buffer.alloc(int(70_000))), s.end([["grpc-status", "0"]])));
        },
      });
      const frames: Uint8Array[] = [];
      for (let i = 0; i < 1 + int(12); i++) {
        const id = int(4) === 0 ? int(8) : 1 + 2 * int(4);
        const kind = int(10);
        if (kind < 3) frames.push(headers(id, REQUEST, [Flag.END_HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 0][int(3)]));
        else if (kind < 5) frames.push(data(id, Buffer.alloc(int(3000), int(256)), int(2) ? Flag.END_STREAM : 0));
        else if (kind === 5) frames.push(wordsFrame(FrameType.WINDOW_UPDATE, id, int(2 ** 31)));
        else if (kind === 6) frames.push(wordsFrame(FrameType.RST_STREAM, id, int(14)));
        else if (kind === 7) frames.push(frame(FrameType.CONTINUATION, int(2) ? Flag.END_HEADERS : 0, id, encodeHeaderBlock(REQUEST).subarray(int(10))));
        else frames.push(frame(int(12), int(256), id, Buffer.from(Array.from({ length: int(40) }, () => int(256)))));
      }
      const bytes = Buffer.concat(frames);
      // Sometimes in one piece, sometimes cut at random places.
      let at = 0;
      while (at < bytes.byteLength) {
        const n = int(2) ? bytes.byteLength : 1 + int(64);
        expect(() => p.send(bytes.subarray(at, at + n))).not.toThrow();
        at += n;
      }
      await p.tick();
      await p.tick();
      if (!p.conn.closed) {
        // Whatever was left open still answers a new, well-formed request.
        p.send(wordsFrame(FrameType.WINDOW_UPDATE, 0, 1 << 20), headers(101, REQUEST, Flag.END_HEADERS | Flag.END_STREAM));
        await p.tick();
        // Taken by the handler, or refused (three streams whose handlers never answer hold every slot), or the connection ended.
        const seen = taken.includes(101) || p.reset(101) !== undefined || p.conn.closed;
        if (!seen) throw new Error(`seed ${seed}: a well-formed request after the random frames got nothing`);
      }
    }
  });
});

describe("request fields", () => {
  test("a gRPC request is well-formed", () => {
    expect(checkRequestFields(REQUEST)).toBeUndefined();
  });
  test("each way of being malformed is named", () => {
    expect(checkRequestFields([[":protocol", "x"], ...REQUEST])).toContain("unknown pseudo-header");
    expect(checkRequestFields([[":path", "/again"], ...REQUEST])).toContain("twice");
    expect(checkRequestFields([...REQUEST, ["x", " padded"]])).toContain("white space");
    expect(checkRequestFields([...REQUEST, ["upgrade", "h2c"]])).toContain("connection-specific");
    expect(checkRequestFields(REQUEST.filter(([k]) => k !== ":method"))).toBe("no :method");
  });
});
