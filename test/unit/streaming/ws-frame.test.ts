import { describe, expect, test } from "bun:test";
import { CLOSE, FrameParser, OPCODE, WsProtocolError, applyMask, encodeFrame } from "../../../src/streaming/websocket/ws-frame.ts";

const server = () => new FrameParser({ expectMasked: true, maxPayload: 1 << 20 });

describe("WebSocket frames", () => {
  for (const len of [0, 1, 125, 126, 65535, 65536, 300_000]) {
    test(`a masked frame of ${len} bytes round-trips, even fed a byte range at a time`, () => {
      const payload = Buffer.alloc(len, 7).map((_, i) => i % 251);
      const wire = encodeFrame(OPCODE.binary, payload, true);
      const p = server();
      const frames = [];
      for (let off = 0; off < wire.length; off += 997) frames.push(...p.push(wire.subarray(off, off + 997)));
      expect(frames).toHaveLength(1);
      expect(frames[0]!.opcode).toBe(OPCODE.binary);
      expect(Buffer.compare(frames[0]!.payload, Buffer.from(payload))).toBe(0);
      expect(p.buffered).toBe(0);
    });
  }
  test("masking twice gives the bytes back, aligned or not", () => {
    const data = Buffer.from(Array.from({ length: 203 }, (_, i) => i));
    const key = Buffer.from([1, 2, 3, 4]);
    for (const off of [0, 1, 3]) {
      const buf = Buffer.alloc(203 + off);
      data.copy(buf, off);
      const view = buf.subarray(off);
      applyMask(view, key);
      applyMask(view, key);
      expect(Buffer.compare(view, data)).toBe(0);
    }
  });
  const bad: { desc: string; bytes: Buffer; code: number; parser?: FrameParser }[] = [
    { desc: "reserved bits set", bytes: Buffer.from([0xc2, 0x80, 0, 0, 0, 0]), code: CLOSE.protocolError },
    { desc: "an unknown opcode", bytes: Buffer.from([0x83, 0x80, 0, 0, 0, 0]), code: CLOSE.protocolError },
    { desc: "an unmasked frame from a client", bytes: encodeFrame(OPCODE.binary, Buffer.from("x"), false), code: CLOSE.protocolError },
    { desc: "a masked frame from a server", bytes: encodeFrame(OPCODE.binary, Buffer.from("x"), true), code: CLOSE.protocolError, parser: new FrameParser({ expectMasked: false, maxPayload: 100 }) },
    { desc: "a fragmented ping", bytes: Buffer.from([0x09, 0x80, 0, 0, 0, 0]), code: CLOSE.protocolError },
    { desc: "a ping longer than 125 bytes", bytes: encodeFrame(OPCODE.ping, Buffer.alloc(126), true), code: CLOSE.protocolError },
    // 64-bit length 2^28, masked: refused before any payload arrives
    { desc: "a frame over the size limit, refused from its header alone", bytes: Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x10, 0, 0, 0]), code: CLOSE.tooBig },
  ];
  for (const tc of bad) {
    test(`${tc.desc} is a protocol error with close code ${tc.code}`, () => {
      try {
        (tc.parser ?? server()).push(tc.bytes);
        throw new Error("parsed");
      } catch (err) {
        expect(err).toBeInstanceOf(WsProtocolError);
        expect((err as WsProtocolError).code).toBe(tc.code);
      }
    });
  }
});
