/**
 * Hostile or broken peers: each case ends that connection cleanly (GOAWAY with a reason,
 * then the socket closes) or, where the rule concerns one stream, resets that stream and
 * carries on. Nothing crashes and nothing grows without bound.
 */
import { describe, expect, test } from "bun:test";
import * as zlib from "node:zlib";
import { SPDY3_DICTIONARY } from "../../../../src/streaming/spdy/dictionary.ts";
import { type Frame, encodeFrame } from "../../../../src/streaming/spdy/frames.ts";
import { HeaderCompressor } from "../../../../src/streaming/spdy/header-zlib.ts";
import { GoAwayStatus, RstStatus, SpdySessionError, type SpdySession, type SpdySessionOptions } from "../../../../src/streaming/spdy/index.ts";
import { type RawPeer, rawPeer } from "./helpers.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const syn = (streamId: number, headers: Record<string, string> = {}): Frame => ({ type: "syn_stream", streamId, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers });
const bytes = (n: number) => new Uint8Array(n);
/** SYN_STREAM for stream 1 whose header block is a valid zlib stream inflating to `size` zero bytes. */
function bombSyn(size: number): Uint8Array {
  const body = zlib.deflateRawSync(new Uint8Array(size), { dictionary: SPDY3_DICTIONARY, finishFlush: zlib.constants.Z_SYNC_FLUSH, level: 9 });
  const block = Buffer.concat([hex("78f9e3c6a7c2"), body]);
  const head = Buffer.alloc(18);
  head.writeUInt32BE(0x80030001, 0);
  head.writeUInt32BE(10 + block.length, 4);
  head.writeUInt32BE(1, 8);
  return Buffer.concat([head, block]);
}
/** SETTINGS that declare flow control, as skiff's own peers send first. */
const keepsWindows: Frame = { type: "settings", clear: false, entries: [{ id: 7, value: 65536 }] };

type SessionCase = { desc: string; opts?: SpdySessionOptions; send: (peer: RawPeer) => void; reason: RegExp };

const sessionErrors: SessionCase[] = [
  { desc: "an HTTP request instead of SPDY frames", send: (p) => p.send(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), reason: /DATA for stream 1195725856, which was never opened/ },
  { desc: "a control frame of SPDY version 2", send: (p) => p.send(hex("8002 0006 00000004 00000001")), reason: /SPDY version 2, not 3/ },
  { desc: "an oversized control frame", opts: { maxFrameBytes: 16384 }, send: (p) => p.send(hex("8003 0008 00 004001")), reason: /16385 bytes exceeds the limit of 16384/ },
  { desc: "a RST_STREAM of the wrong length", send: (p) => p.send(hex("8003 0003 00000004 00000001")), reason: /RST_STREAM frame has length 4/ },
  { desc: "a PING of the wrong length", send: (p) => p.send(hex("8003 0006 00000008 00000001 00000001")), reason: /PING frame has length 8/ },
  { desc: "a zlib bomb in a header block", send: (p) => p.send(bombSyn(64 << 20)), reason: /header block inflates to more than 262144 bytes/ },
  { desc: "a header block past maxHeaderBytes", opts: { maxHeaderBytes: 4096 }, send: (p) => p.send(syn(1, { big: "x".repeat(5000) })), reason: /inflates to more than 4096 bytes/ },
  { desc: "a header block that is not zlib", send: (p) => p.send(hex("8003 0001 00 000016 00000001 00000000 0000 0011223344556677 0000ffff")), reason: /zlib header/ },
  { desc: "DATA for a stream never opened", send: (p) => p.send({ type: "data", streamId: 9, fin: false, data: bytes(4) }), reason: /DATA for stream 9, which was never opened/ },
  { desc: "SYN_REPLY for a stream never opened", send: (p) => p.send({ type: "syn_reply", streamId: 2, fin: false, headers: {} }), reason: /SYN_REPLY for stream 2, which was never opened/ },
  { desc: "HEADERS for a stream never opened", send: (p) => p.send({ type: "headers", streamId: 5, fin: false, headers: {} }), reason: /HEADERS for stream 5, which was never opened/ },
  { desc: "a client opening an even (server) stream id", send: (p) => p.send(syn(2)), reason: /peer opened stream 2, an id of ours/ },
  { desc: "a duplicate stream id", send: (p) => p.send(syn(1), syn(1)), reason: /duplicate SYN_STREAM for stream 1/ },
  { desc: "stream ids going down", send: (p) => p.send(syn(5), syn(3)), reason: /SYN_STREAM for stream 3 after stream 5/ },
  { desc: "DATA past the session window from a peer that keeps windows", opts: { sessionWindowBytes: 65536 }, send: (p) => p.send(keepsWindows, syn(1), syn(3), { type: "data", streamId: 1, fin: false, data: bytes(40000) }, { type: "data", streamId: 3, fin: false, data: bytes(40000) }), reason: /past the session window/ },
  { desc: "a WINDOW_UPDATE taking the session window past 2^31-1", send: (p) => p.send({ type: "window_update", streamId: 0, delta: 0x7fffffff }), reason: /session window past 2147483647/ },
  { desc: "a WINDOW_UPDATE of 0", send: (p) => p.send(hex("8003 0009 00000008 00000000 00000000")), reason: /delta 0/ },
  { desc: "SETTINGS_INITIAL_WINDOW_SIZE past 2^31-1", send: (p) => p.send({ type: "settings", clear: false, entries: [{ id: 7, value: 0x80000000 }] }), reason: /past 2147483647/ },
];

describe("hostile peers: session errors end the connection with GOAWAY", () => {
  for (const tc of sessionErrors) {
    test(`${tc.desc}`, async () => {
      const { session, peer, close } = await rawPeer("server", tc.opts);
      session.onStream((s) => s.reply());
      tc.send(peer);
      const reason = await session.closed;
      expect(reason).toBeInstanceOf(SpdySessionError);
      expect(reason?.message).toMatch(tc.reason);
      await peer.ended;
      expect(peer.of("goaway")).toEqual([{ type: "goaway", lastGoodStreamId: expect.any(Number), status: GoAwayStatus.protocolError }]);
      close();
    });
  }
});

/** SYN_STREAM for stream 1 with a header block our encoder would refuse to make: a name in uppercase. */
function uppercaseSyn(): Uint8Array {
  const block = new HeaderCompressor().compress(hex("00000001 00000004 506f7274 00000001 31")); // "Port": "1"
  const head = Buffer.alloc(18);
  head.writeUInt32BE(0x80030001, 0);
  head.writeUInt32BE(10 + block.length, 4);
  head.writeUInt32BE(1, 8);
  return Buffer.concat([head, block]);
}

type StreamCase = { desc: string; send: (peer: RawPeer, session: SpdySession) => Promise<void> | void; rst: { streamId: number; status: number } };

const streamErrors: StreamCase[] = [
  { desc: "an uppercase header name", send: (p) => p.send(uppercaseSyn()), rst: { streamId: 1, status: RstStatus.protocolError } },
  { desc: "DATA past the stream window from a peer that keeps windows", send: (p) => p.send(keepsWindows, syn(1), { type: "data", streamId: 1, fin: false, data: bytes(300 * 1024) }), rst: { streamId: 1, status: RstStatus.flowControlError } },
  { desc: "DATA after the peer's FIN", send: (p) => p.send({ ...syn(1), fin: true } as Frame, { type: "data", streamId: 1, fin: false, data: bytes(1) }), rst: { streamId: 1, status: RstStatus.streamAlreadyClosed } },
  { desc: "DATA for a closed stream", send: (p) => p.send({ ...syn(1), fin: true } as Frame, { type: "rst_stream", streamId: 1, status: RstStatus.cancel }, { type: "data", streamId: 1, fin: false, data: bytes(1) }), rst: { streamId: 1, status: RstStatus.invalidStream } },
  {
    desc: "a second SYN_REPLY for a stream we opened",
    async send(p, session) {
      p.send({ type: "ping", id: 1 }); // a server opens streams only once the client has spoken
      const opening = session.open({});
      await p.waitFor("syn_stream");
      p.send({ type: "syn_reply", streamId: 2, fin: false, headers: {} }, { type: "syn_reply", streamId: 2, fin: false, headers: {} });
      await opening;
    },
    rst: { streamId: 2, status: RstStatus.streamInUse },
  },
  {
    desc: "DATA on a stream we opened before its SYN_REPLY",
    async send(p, session) {
      p.send({ type: "ping", id: 1 });
      void session.open({}).catch(() => {});
      await p.waitFor("syn_stream");
      p.send({ type: "data", streamId: 2, fin: false, data: bytes(1) });
    },
    rst: { streamId: 2, status: RstStatus.protocolError },
  },
];

describe("hostile peers: stream errors reset that stream and the session carries on", () => {
  for (const tc of streamErrors) {
    test(`${tc.desc}`, async () => {
      const { session, peer, close } = await rawPeer("server");
      session.onStream((s) => s.reply());
      await tc.send(peer, session);
      expect(await peer.waitFor("rst_stream")).toEqual({ type: "rst_stream", ...tc.rst });
      peer.send({ type: "ping", id: 11 });
      await peer.waitFor("ping", (f) => f.id === 11);
      expect(peer.of("goaway")).toEqual([]);
      close();
    });
  }
});

describe("hostile peers: resources stay bounded", () => {
  test("a peer that floods PINGs and never reads is cut off once 1 MiB of answers queue up", async () => {
    const { session, peer, close } = await rawPeer("server");
    peer.socket.pause();
    const ping = encodeFrame({ type: "ping", id: 1 }, new HeaderCompressor());
    const batch = Buffer.concat(Array.from({ length: 50_000 }, () => ping));
    let done = false;
    const reasonP = session.closed.finally(() => (done = true));
    for (let sent = 0; !done && sent < 5_000_000; sent += 50_000) {
      // Write only as fast as the session reads, so the flood's bytes are the session's problem, not ours.
      if (!peer.socket.write(batch)) await new Promise((resolve) => peer.socket.once("drain", resolve));
    }
    const reason = await reasonP;
    expect(reason?.message).toMatch(/peer does not read: \d+ bytes queued/);
    close();
  }, 30_000);

  test("streams past maxConcurrentStreams are refused", async () => {
    const { session, peer, close } = await rawPeer("server", { maxConcurrentStreams: 2 });
    session.onStream((s) => s.reply());
    peer.send(syn(1), syn(3), syn(5));
    expect(await peer.waitFor("rst_stream")).toEqual({ type: "rst_stream", streamId: 5, status: RstStatus.refusedStream });
    close();
  });
});
