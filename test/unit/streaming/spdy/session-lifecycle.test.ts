import { describe, expect, test } from "bun:test";
import { GoAwayStatus, RstStatus, SpdySessionError } from "../../../../src/streaming/spdy/index.ts";
import { drain, rawPeer, sessionPair, until } from "./helpers.ts";

describe("SPDY session: ping", () => {
  test("ping resolves with the round trip both ways", async () => {
    const { client, server, close } = await sessionPair();
    expect(await client.ping()).toBeGreaterThan(0);
    expect(await server.ping()).toBeGreaterThan(0);
    close();
  });

  test("the peer's pings are echoed; pings with our own parity that we did not send are ignored", async () => {
    const { peer, close } = await rawPeer("server");
    peer.send({ type: "ping", id: 5 }, { type: "ping", id: 6 }, { type: "ping", id: 7 });
    await peer.waitFor("ping", (f) => f.id === 7);
    expect(peer.of("ping").map((f) => f.id)).toEqual([5, 7]);
    close();
  });

  test("an unanswered ping rejects after its timeout", async () => {
    const { session, close } = await rawPeer("client");
    await expect(session.ping(50)).rejects.toThrow("spdy ping 1 got no answer in 50 ms");
    close();
  });
});

describe("SPDY session: closing", () => {
  test("close() refuses new streams, waits for open ones, then sends GOAWAY and closes cleanly", async () => {
    const { session, peer, close } = await rawPeer("client");
    const opening = session.open({});
    await peer.waitFor("syn_stream");
    peer.send({ type: "syn_reply", streamId: 1, fin: false, headers: {} });
    const s = await opening;
    let closed = false;
    const closing = session.close().then(() => (closed = true));
    await expect(session.open({})).rejects.toThrow(/closing/);
    peer.send({ type: "syn_stream", streamId: 2, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: {} });
    expect(await peer.waitFor("rst_stream")).toEqual({ type: "rst_stream", streamId: 2, status: RstStatus.refusedStream });
    expect(peer.of("goaway")).toEqual([]);
    expect(closed).toBe(false);
    peer.send({ type: "data", streamId: 1, fin: true, data: new Uint8Array(0) });
    await s.end();
    await closing;
    expect(peer.of("goaway")).toEqual([{ type: "goaway", lastGoodStreamId: 2, status: GoAwayStatus.ok }]);
    await peer.ended;
    expect(await session.closed).toBeUndefined();
    close();
  });

  test("close({ force: true }) fails open streams and ends at once", async () => {
    const { client, server, close } = await sessionPair();
    server.onStream((s) => s.reply());
    const s = await client.open({});
    await client.close({ force: true });
    const got = await drain(s);
    expect(got.error?.message).toBe("spdy session closed");
    expect(await client.closed).toBeUndefined();
    expect(await server.closed).toBeUndefined();
    close();
  });

  test("the peer's GOAWAY fails streams it never accepted, and no new stream may open", async () => {
    const { session, peer, close } = await rawPeer("client");
    const first = session.open({});
    await peer.waitFor("syn_stream");
    peer.send({ type: "syn_reply", streamId: 1, fin: false, headers: {} });
    const s1 = await first;
    const second = session.open({});
    await peer.waitFor("syn_stream", (f) => f.streamId === 3);
    peer.send({ type: "goaway", lastGoodStreamId: 1, status: GoAwayStatus.ok });
    await expect(second).rejects.toThrow("stream 3 refused: the peer sent GOAWAY");
    await until("the GOAWAY to be handled", () => session.streamCount === 1);
    await expect(session.open({})).rejects.toThrow(/closing/);
    // The accepted stream carries on until both sides finish; then the session ends.
    peer.send({ type: "data", streamId: 1, fin: true, data: new TextEncoder().encode("bye") });
    await s1.end();
    expect((await drain(s1)).bytes.toString()).toBe("bye");
    await peer.ended;
    expect(await session.closed).toBeUndefined();
    close();
  });

  test("Kubernetes' goodbye (RST_STREAM on every stream, GOAWAY, close) is a clean end", async () => {
    const { session, peer, close } = await rawPeer("server");
    session.onStream((s) => s.reply());
    for (const id of [1, 3, 5]) peer.send({ type: "syn_stream", streamId: id, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: {} });
    await until("three replies", () => peer.of("syn_reply").length === 3);
    for (const id of [1, 3, 5]) peer.send({ type: "rst_stream", streamId: id, status: RstStatus.cancel });
    peer.send({ type: "goaway", lastGoodStreamId: 0, status: GoAwayStatus.ok });
    peer.socket.end();
    expect(await session.closed).toBeUndefined();
    close();
  });

  test("a GOAWAY with an error status ends the session with that reason", async () => {
    const { session, peer, close } = await rawPeer("client");
    peer.send({ type: "goaway", lastGoodStreamId: 0, status: GoAwayStatus.internalError });
    const reason = await session.closed;
    expect(reason).toBeInstanceOf(SpdySessionError);
    expect(reason?.message).toBe("peer went away with GOAWAY status 2");
    close();
  });

  test("a connection lost with streams open ends the session with an error, and their readers error", async () => {
    const { client, server, close } = await sessionPair();
    server.onStream((s) => s.reply());
    const s = await client.open({});
    close();
    const reason = await client.closed;
    expect(reason?.message).toMatch(/spdy connection (closed by peer|closed) with 1 streams open/);
    expect((await drain(s)).error?.message).toBe(reason?.message as string);
    await server.closed;
  });

  test("an idle session closes itself after idleTimeoutMs with no frames", async () => {
    const { client, server, close } = await sessionPair({ idleTimeoutMs: 100 });
    await client.ping();
    const reason = await client.closed;
    expect(reason?.message).toBe("spdy session idle for 100 ms");
    await server.closed;
    close();
  });
});
