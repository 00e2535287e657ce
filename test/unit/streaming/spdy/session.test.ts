import { describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { encodeFrame } from "../../../../src/streaming/spdy/frames.ts";
import { HeaderCompressor } from "../../../../src/streaming/spdy/header-zlib.ts";
import { RstStatus, SpdyStreamError, type SpdyStream, createSpdySession } from "../../../../src/streaming/spdy/index.ts";
import { RawPeer, drain, rawPeer, sessionPair, socketPair, until } from "./helpers.ts";

const enc = new TextEncoder();

describe("SPDY session: streams", () => {
  test("a stream the client opens reaches the server with lowercased headers, and data flows both ways to FIN", async () => {
    const { client, server, close } = await sessionPair();
    server.onStream(async (s) => {
      s.reply({ seen: s.headers.streamtype ?? "" });
      const got = await drain(s);
      await s.write(Buffer.concat([Buffer.from("echo:"), got.bytes]));
      await s.end();
    });
    const s = await client.open({ streamType: "stdin", Port: "80" });
    expect(s.id).toBe(1);
    expect({ ...s.headers }).toEqual({ streamtype: "stdin", port: "80" });
    await s.write(enc.encode("hello "));
    await s.write(enc.encode("world"));
    await s.end();
    expect((await drain(s)).bytes.toString()).toBe("echo:hello world");
    await s.closed;
    await until("streams to be forgotten", () => client.streamCount === 0 && server.streamCount === 0);
    await client.close();
    expect(await client.closed).toBeUndefined();
    expect(await server.closed).toBeUndefined();
    close();
  });

  test("stream ids go up by two from 1 for the client and from 2 for the server", async () => {
    const { client, server, close } = await sessionPair();
    const seen: number[] = [];
    server.onStream((s) => (seen.push(s.id), s.reply()));
    client.onStream((s) => (seen.push(s.id), s.reply()));
    const ids = [(await client.open({})).id, (await client.open({})).id, (await server.open({})).id, (await server.open({})).id];
    expect(ids).toEqual([1, 3, 2, 4]);
    expect(seen.sort()).toEqual([1, 2, 3, 4]);
    close();
  });

  test("200 concurrent streams each carry their own data", async () => {
    const { client, server, close } = await sessionPair();
    server.onStream(async (s) => {
      s.reply();
      const got = await drain(s);
      await s.write(Buffer.concat([Buffer.from(`${s.headers.n}:`), got.bytes]));
      await s.end();
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const s = await client.open({ n: String(i) });
        const payload = randomBytes(1000 + i * 97);
        const reading = drain(s);
        await s.write(payload);
        await s.end();
        const got = (await reading).bytes;
        return got.equals(Buffer.concat([Buffer.from(`${i}:`), payload]));
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    await until("all streams to close", () => client.streamCount === 0 && server.streamCount === 0);
    close();
  });

  test("open resolves on the peer's SYN_REPLY, after the client's SETTINGS and session WINDOW_UPDATE", async () => {
    const { session, peer, close } = await rawPeer("client");
    let opened: SpdyStream | undefined;
    const opening = session.open({ streamtype: "error" }).then((s) => (opened = s));
    await peer.waitFor("syn_stream");
    expect(peer.frames.map((f) => f.type)).toEqual(["settings", "window_update", "syn_stream"]);
    expect(peer.of("settings")[0]?.entries).toEqual([{ id: 4, value: 1000, flags: 0 }, { id: 7, value: 262144, flags: 0 }]);
    expect(peer.of("window_update")[0]).toEqual({ type: "window_update", streamId: 0, delta: 4 * 1024 * 1024 - 65536 });
    expect({ ...peer.of("syn_stream")[0]?.headers }).toEqual({ streamtype: "error" });
    await Bun.sleep(20);
    expect(opened).toBeUndefined();
    peer.send({ type: "syn_reply", streamId: 1, fin: false, headers: {} });
    await opening;
    expect(opened?.id).toBe(1);
    close();
  });

  test("a server session says nothing before the client's first frame (client-go drops bytes that arrive with the 101)", async () => {
    const { session, peer, close } = await rawPeer("server");
    const pinging = session.ping(2000);
    await Bun.sleep(50);
    expect(peer.frames).toEqual([]);
    peer.send({ type: "ping", id: 1 });
    await peer.waitFor("ping", (f) => f.id === 2);
    expect(peer.frames.map((f) => f.type)).toEqual(["settings", "window_update", "ping", "ping"]);
    expect(peer.of("ping").map((f) => f.id)).toEqual([1, 2]); // our echo of 1, then the server's own ping 2
    peer.send({ type: "ping", id: 2 });
    expect(await pinging).toBeGreaterThan(0);
    close();
  });

  test("a server stream answers with SYN_REPLY before its first DATA even when reply() was not called", async () => {
    const { session, peer, close } = await rawPeer("server");
    session.onStream((s) => void s.write(enc.encode("x")).then(() => s.end()));
    peer.send({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: true, unidirectional: false, headers: { a: "b" } });
    await peer.waitFor("data", (f) => f.fin);
    const types = peer.frames.map((f) => f.type).filter((t) => t === "syn_reply" || t === "data");
    expect(types).toEqual(["syn_reply", "data", "data"]);
    close();
  });

  test("HEADERS with FIN half-closes the peer's side", async () => {
    const { session, peer, close } = await rawPeer("server");
    const got = new Promise<SpdyStream>((resolve) => session.onStream(resolve));
    peer.send({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: {} });
    const s = await got;
    peer.send({ type: "data", streamId: 1, fin: false, data: enc.encode("ab") }, { type: "headers", streamId: 1, fin: true, headers: { x: "y" } });
    expect((await drain(s)).bytes.toString()).toBe("ab");
    close();
  });

  test("streams that arrive before onStream is set wait for the handler", async () => {
    const { session, peer, close } = await rawPeer("server");
    peer.send({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: { n: "1" } });
    peer.send({ type: "syn_stream", streamId: 3, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: { n: "2" } });
    await peer.waitFor("settings");
    await Bun.sleep(20);
    const seen: string[] = [];
    session.onStream((s) => seen.push(s.headers.n ?? ""));
    expect(seen).toEqual(["1", "2"]);
    close();
  });

  test("a stream handler that throws costs that stream (INTERNAL_ERROR), not the session", async () => {
    const { session, peer, close } = await rawPeer("server");
    session.onStream(() => {
      throw new Error("boom");
    });
    peer.send({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: {} });
    expect(await peer.waitFor("rst_stream")).toEqual({ type: "rst_stream", streamId: 1, status: RstStatus.internalError });
    peer.send({ type: "ping", id: 7 });
    await peer.waitFor("ping", (f) => f.id === 7);
    close();
  });

  test("head bytes read past the HTTP headers are the first frames, and a socket the upgrade paused is read on", async () => {
    const { a, b, close } = await socketPair();
    const c = new HeaderCompressor();
    const head = encodeFrame({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: true, unidirectional: false, headers: { from: "head" } }, c);
    b.pause();
    const server = createSpdySession(b, "server", {}, head);
    const got = new Promise<SpdyStream>((resolve) => server.onStream(resolve));
    const peer = new RawPeer(a);
    expect((await got).headers.from).toBe("head");
    await peer.waitFor("settings");
    a.write(encodeFrame({ type: "ping", id: 3 }, c));
    await peer.waitFor("ping", (f) => f.id === 3);
    close();
  });
});

describe("SPDY session: resets", () => {
  async function clientStream() {
    const r = await rawPeer("client");
    const opening = r.session.open({});
    await r.peer.waitFor("syn_stream");
    r.peer.send({ type: "syn_reply", streamId: 1, fin: false, headers: {} });
    return { ...r, s: await opening };
  }

  test("a peer's RST_STREAM: the reader first gets what had arrived, then a SpdyStreamError with the status; writes fail", async () => {
    const { s, peer, close } = await clientStream();
    peer.send({ type: "data", streamId: 1, fin: false, data: enc.encode("abc") }, { type: "rst_stream", streamId: 1, status: RstStatus.cancel });
    await s.closed;
    const got = await drain(s);
    expect(got.bytes.toString()).toBe("abc");
    expect(got.error).toBeInstanceOf(SpdyStreamError);
    expect((got.error as SpdyStreamError).status).toBe(RstStatus.cancel);
    expect(got.error?.message).toBe("stream 1: reset by peer (CANCEL)");
    await expect(s.write(enc.encode("late"))).rejects.toThrow(/reset by peer/);
    close();
  });

  test("a RST_STREAM after the peer's FIN leaves the data and its clean end", async () => {
    const { s, peer, close } = await clientStream();
    peer.send({ type: "data", streamId: 1, fin: true, data: enc.encode("done") }, { type: "rst_stream", streamId: 1, status: RstStatus.cancel });
    await s.closed;
    expect(await drain(s)).toEqual({ bytes: Buffer.from("done") });
    close();
  });

  test("reset() sends RST_STREAM with the status, drops unread data and errors the reader", async () => {
    const { s, peer, close } = await clientStream();
    peer.send({ type: "data", streamId: 1, fin: false, data: enc.encode("unread") });
    await until("data to arrive", () => s.buffered === 6);
    s.reset(RstStatus.internalError);
    expect(await peer.waitFor("rst_stream")).toEqual({ type: "rst_stream", streamId: 1, status: RstStatus.internalError });
    const got = await drain(s);
    expect(got.bytes.length).toBe(0);
    expect(got.error?.message).toBe("stream 1: reset (INTERNAL_ERROR)");
    expect(s.buffered).toBe(0);
    // Late DATA for the reset stream is dropped without another RST.
    peer.send({ type: "data", streamId: 1, fin: false, data: enc.encode("late") }, { type: "ping", id: 2 });
    await peer.waitFor("ping", (f) => f.id === 2);
    expect(peer.of("rst_stream").length).toBe(1);
    close();
  });

  test("end() twice sends one FIN; end() after the peer reset the stream rejects", async () => {
    const { s, peer, close } = await clientStream();
    await s.end();
    await s.end();
    peer.send({ type: "ping", id: 2 });
    await peer.waitFor("ping", (f) => f.id === 2);
    expect(peer.of("data")).toEqual([{ type: "data", streamId: 1, fin: true, data: Buffer.alloc(0) }]);
    peer.send({ type: "rst_stream", streamId: 1, status: RstStatus.cancel });
    await s.closed;
    await expect(s.end()).rejects.toThrow("stream 1: reset by peer (CANCEL)");
    close();
  });
});
