/**
 * Which streams a session has: by id, who opened them, which ids have been used (ids
 * only go up, odd for the client and even for the server, section 2.3.2), which we
 * reset lately, and which of ours still wait for the peer's SYN_REPLY.
 */
import { MAX_STREAM_ID } from "./constants.ts";
import type { SpdyStreamImpl } from "./stream.ts";

/** How many ids of streams we reset are remembered, so late DATA for them is dropped quietly. */
const RESET_MEMORY = 1024;

export class StreamTable {
  readonly byId = new Map<number, SpdyStreamImpl>();
  /** The highest id the peer has opened (or tried to). */
  lastPeerId = 0;
  private nextOurId: number;
  private readonly recentlyReset = new Set<number>();
  private readonly awaitingReply = new Map<number, { resolve: (s: SpdyStreamImpl) => void; reject: (e: Error) => void }>();

  constructor(role: "client" | "server") {
    this.nextOurId = role === "client" ? 1 : 2;
  }

  get size(): number {
    return this.byId.size;
  }

  get(id: number): SpdyStreamImpl | undefined {
    return this.byId.get(id);
  }

  /** The id our next stream will have; throws once the 31 bits are used up. */
  peekOurId(): number {
    if (this.nextOurId > MAX_STREAM_ID) throw new Error("spdy session has used up its stream ids");
    return this.nextOurId;
  }

  /** Registers a stream we open; resolves when the peer's SYN_REPLY comes, rejects if it fails first. */
  addOurs(s: SpdyStreamImpl): Promise<SpdyStreamImpl> {
    this.nextOurId = s.id + 2;
    this.byId.set(s.id, s);
    return new Promise((resolve, reject) => this.awaitingReply.set(s.id, { resolve, reject }));
  }

  addPeers(s: SpdyStreamImpl): void {
    this.byId.set(s.id, s);
  }

  /** The peer's SYN_REPLY for `s`. */
  replied(s: SpdyStreamImpl): void {
    s.replied = true;
    this.awaitingReply.get(s.id)?.resolve(s);
    this.awaitingReply.delete(s.id);
  }

  /** Forgets `s` (closed both ways, or reset); an open still waiting for its reply fails. */
  remove(s: SpdyStreamImpl, reason: Error): void {
    this.byId.delete(s.id);
    this.awaitingReply.get(s.id)?.reject(reason);
    this.awaitingReply.delete(s.id);
  }

  count(ours: boolean): number {
    let n = 0;
    for (const s of this.byId.values()) if (s.ours === ours) n++;
    return n;
  }

  /** Whether `id` names a stream that was never opened, by either side. */
  neverOpened(id: number): boolean {
    const ours = id % 2 === this.nextOurId % 2;
    return ours ? id >= this.nextOurId : id > this.lastPeerId;
  }

  rememberReset(id: number): void {
    this.recentlyReset.add(id);
    if (this.recentlyReset.size > RESET_MEMORY) this.recentlyReset.delete(this.recentlyReset.values().next().value as number);
  }

  /** Whether we reset stream `id` lately (its late DATA is dropped without a word). */
  wasReset(id: number): boolean {
    return this.recentlyReset.has(id);
  }
}
