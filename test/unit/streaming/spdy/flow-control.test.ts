import { describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import type { SpdyStream } from "../../../../src/streaming/spdy/index.ts";
import { drain, rawPeer, sessionPair, until } from "./helpers.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** Whether `p` is still pending now. */
async function pending(p: Promise<unknown>): Promise<boolean> {
  const mark = Symbol();
  return (await Promise.race([p.then(() => undefined, () => undefined), Bun.sleep(0).then(() => mark)])) === mark;
}

describe("SPDY flow control between two skiff sessions", () => {
  test("a reader that does not read stalls the writer at the stream window; buffers stay bounded; reading resumes it", async () => {
    const { client, server, close } = await sessionPair({}, { initialWindowBytes: 64 * KiB });
    const accepted = new Promise<SpdyStream>((resolve) => server.onStream((s) => (s.reply(), resolve(s))));
    const s = await client.open({});
    const peerSide = await accepted;
    const data = randomBytes(1 * MiB);
    const writing = s.write(data);
    await until("the window to fill", () => peerSide.buffered === 64 * KiB);
    await Bun.sleep(100); // nothing more may arrive while nobody reads
    expect(peerSide.buffered).toBe(64 * KiB);
    expect(await pending(writing)).toBe(true);
    const reading = drain(peerSide);
    await writing;
    await s.end();
    expect((await reading).bytes.equals(data)).toBe(true);
    close();
  });

  test("the session window bounds several unread streams together", async () => {
    const { client, server, close } = await sessionPair({}, { initialWindowBytes: 64 * KiB, sessionWindowBytes: 128 * KiB });
    const peerSides: SpdyStream[] = [];
    server.onStream((s) => (s.reply(), peerSides.push(s)));
    const streams = await Promise.all([1, 2, 3, 4].map(() => client.open({})));
    const writes = streams.map((s) => s.write(randomBytes(256 * KiB)));
    const total = () => peerSides.reduce((n, s) => n + s.buffered, 0);
    await until("the session window to fill", () => total() === 128 * KiB);
    await Bun.sleep(100);
    expect(total()).toBe(128 * KiB);
    for (const w of writes) expect(await pending(w)).toBe(true);
    await Promise.all([...peerSides.map((s) => drain(s)), ...writes, ...streams.map((s) => s.end())]);
    close();
  });

  test("100 MiB through one stream arrives byte-identical over loopback TCP", async () => {
    const { client, server, close } = await sessionPair();
    const received = new Promise<{ bytes: number; sha: string }>((resolve) =>
      server.onStream(async (s) => {
        s.reply();
        const h = createHash("sha256");
        let bytes = 0;
        for await (const c of s.readable) {
          h.update(c);
          bytes += c.length;
        }
        resolve({ bytes, sha: h.digest("hex") });
      }),
    );
    const s = await client.open({});
    const sent = createHash("sha256");
    const block = randomBytes(MiB);
    for (let i = 0; i < 100; i++) {
      block.writeUInt32BE(i, 0); // every MiB differs, so a lost or repeated block shows
      sent.update(block);
      await s.write(block);
    }
    await s.end();
    expect(await received).toEqual({ bytes: 100 * MiB, sha: sent.digest("hex") });
    close();
  }, 60_000);
});

describe("SPDY flow control with peers that keep windows and peers that do not", () => {
  async function openedTo(opts = {}) {
    const r = await rawPeer("client", opts);
    const opening = r.session.open({});
    await r.peer.waitFor("syn_stream");
    return { ...r, opening };
  }

  test("against a peer that never sends SETTINGS or WINDOW_UPDATE (as Go's spdystream), writes are paced by the socket alone", async () => {
    const { peer, opening, close } = await openedTo();
    peer.send({ type: "syn_reply", streamId: 1, fin: false, headers: {} });
    const s = await opening;
    await s.write(randomBytes(2 * MiB));
    await until("2 MiB to arrive", () => peer.of("data").reduce((n, f) => n + f.data.length, 0) === 2 * MiB);
    close();
  });

  test("a peer that keeps windows is obeyed: only its window goes out until its WINDOW_UPDATEs", async () => {
    const { peer, opening, close } = await openedTo();
    peer.send({ type: "settings", clear: false, entries: [{ id: 7, value: 64 * KiB }] }, { type: "syn_reply", streamId: 1, fin: false, headers: {} });
    const s = await opening;
    const writing = s.write(randomBytes(200 * KiB));
    const arrived = () => peer.of("data").reduce((n, f) => n + f.data.length, 0);
    await until("the first window", () => arrived() === 64 * KiB);
    await Bun.sleep(50);
    expect(arrived()).toBe(64 * KiB);
    // The stream window alone is not enough: the session window (64 KiB by default) is spent too.
    peer.send({ type: "window_update", streamId: 1, delta: 100 * KiB });
    await Bun.sleep(50);
    expect(arrived()).toBe(64 * KiB);
    peer.send({ type: "window_update", streamId: 0, delta: 100 * KiB });
    await until("the stream window's worth", () => arrived() === 164 * KiB);
    expect(await pending(writing)).toBe(true);
    peer.send({ type: "window_update", streamId: 1, delta: 100 * KiB }, { type: "window_update", streamId: 0, delta: 100 * KiB });
    await writing;
    await until("all 200 KiB", () => arrived() === 200 * KiB);
    close();
  });

  test("a SETTINGS that shrinks the initial window can leave a window negative, holding the writer until it is positive", async () => {
    const { peer, opening, close } = await openedTo();
    peer.send({ type: "window_update", streamId: 0, delta: 1 * MiB }, { type: "syn_reply", streamId: 1, fin: false, headers: {} });
    const s = await opening;
    await s.write(randomBytes(60 * KiB)); // within the default 64 KiB
    peer.send({ type: "settings", clear: false, entries: [{ id: 7, value: 16 * KiB }] }); // window now 16 - 60 = -44 KiB
    await Bun.sleep(20);
    const writing = s.write(randomBytes(10 * KiB));
    await Bun.sleep(50);
    expect(await pending(writing)).toBe(true);
    peer.send({ type: "window_update", streamId: 1, delta: 44 * KiB });
    await Bun.sleep(50);
    expect(await pending(writing)).toBe(true); // window is exactly 0
    peer.send({ type: "window_update", streamId: 1, delta: 10 * KiB });
    await writing;
    close();
  });

  test("WINDOW_UPDATEs go back to a peer that keeps windows only as the reader reads", async () => {
    const { session, peer, close } = await rawPeer("server", { initialWindowBytes: 64 * KiB });
    const accepted = new Promise<SpdyStream>((resolve) => session.onStream((s) => (s.reply(), resolve(s))));
    peer.send({ type: "settings", clear: false, entries: [{ id: 7, value: 64 * KiB }] });
    peer.send({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: {} });
    const s = await accepted;
    peer.send({ type: "data", streamId: 1, fin: false, data: randomBytes(64 * KiB) });
    await until("the data to arrive", () => s.buffered === 64 * KiB);
    await Bun.sleep(30);
    expect(peer.of("window_update").filter((f) => f.streamId === 1)).toEqual([]);
    const reader = s.readable.getReader();
    let read = 0;
    while (read < 40 * KiB) read += ((await reader.read()).value as Uint8Array).length;
    const update = await peer.waitFor("window_update", (f) => f.streamId === 1);
    expect(update.delta).toBeGreaterThanOrEqual(32 * KiB);
    expect(update.delta).toBeLessThanOrEqual(read);
    close();
  });

  test("a peer that keeps no windows gets no WINDOW_UPDATE until it shows it keeps them; then it is paid what it is owed", async () => {
    const { session, peer, close } = await rawPeer("server", { initialWindowBytes: 64 * KiB, sessionWindowBytes: 64 * KiB });
    const accepted = new Promise<SpdyStream>((resolve) => session.onStream((s) => (s.reply(), resolve(s))));
    peer.send({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: {} });
    const s = await accepted;
    peer.send({ type: "data", streamId: 1, fin: false, data: randomBytes(48 * KiB) });
    const reader = s.readable.getReader();
    let read = 0;
    while (read < 48 * KiB) read += ((await reader.read()).value as Uint8Array).length;
    peer.send({ type: "ping", id: 1 });
    await peer.waitFor("ping", (f) => f.id === 1);
    expect(peer.of("window_update")).toEqual([]); // Go's spdystream would only answer late ones with a TCP RST
    peer.send({ type: "window_update", streamId: 0, delta: 1 });
    await peer.waitFor("window_update", (f) => f.streamId === 1);
    await peer.waitFor("window_update", (f) => f.streamId === 0);
    expect(peer.of("window_update")).toEqual([
      { type: "window_update", streamId: 1, delta: 48 * KiB },
      { type: "window_update", streamId: 0, delta: 48 * KiB },
    ]);
    close();
  });

  test("a peer that ignores our windows is held back by TCP: what we buffer stays near the session window", async () => {
    const { session, peer, close } = await rawPeer("server", { initialWindowBytes: 64 * KiB, sessionWindowBytes: 256 * KiB });
    const accepted = new Promise<SpdyStream>((resolve) => session.onStream((s) => (s.reply(), resolve(s))));
    peer.send({ type: "syn_stream", streamId: 1, associatedId: 0, priority: 0, fin: false, unidirectional: false, headers: {} });
    const s = await accepted;
    const block = randomBytes(32 * KiB);
    for (let i = 0; i < 320; i++) peer.send({ type: "data", streamId: 1, fin: i === 319, data: block }); // 10 MiB, never waiting
    await until("the session to stop reading", () => s.buffered > 256 * KiB);
    await Bun.sleep(100);
    // The session window, plus the rest of the socket read that crossed it (Bun reads up to 512 KiB at once).
    expect(s.buffered).toBeLessThanOrEqual(256 * KiB + 512 * KiB);
    expect(peer.socket.writableLength).toBeGreaterThan(MiB); // the rest waits on the peer's side
    const got = await drain(s);
    expect(got.bytes.length).toBe(10 * MiB);
    close();
  });
});
