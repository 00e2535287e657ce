/**
 * The streaming server's single-use tokens, as the kubelet's streaming library keeps them
 * (containerd and CRI-O use it): Exec/Attach/PortForward store their request and answer a
 * URL ending in a random token; the first connection to that URL takes the request out.
 * A token that is unknown, already used or older than the TTL finds nothing (the server
 * answers 404). The requests stay in memory only: a restart voids every URL, as it does in
 * containerd.
 */
import { randomBytes } from "node:crypto";
import { UnavailableError } from "../errors.ts";

/** At most this many URLs wait for their connection at once (the kubelet library's figure). */
export const MAX_IN_FLIGHT = 1000;

export class RequestCache<T> {
  // Insertion order is expiry order (one TTL for all), so the oldest entries come first.
  readonly #entries = new Map<string, { req: T; expiresAt: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Stores `req` and returns its token. @throws UnavailableError when too many wait */
  insert(req: T): string {
    this.#gc();
    if (this.#entries.size >= MAX_IN_FLIGHT) {
      throw new UnavailableError(`too many streaming requests in flight (${MAX_IN_FLIGHT}); try again later`);
    }
    let token: string;
    do {
      // 12 random bytes: 16 URL-safe characters, 96 bits a client cannot guess
      token = randomBytes(12).toString("base64url");
    } while (this.#entries.has(token));
    this.#entries.set(token, { req, expiresAt: this.now() + this.ttlMs });
    return token;
  }

  /** Takes the request out; undefined for an unknown, used or expired token. */
  consume(token: string): T | undefined {
    const e = this.#entries.get(token);
    if (!e) return undefined;
    this.#entries.delete(token);
    return this.now() > e.expiresAt ? undefined : e.req;
  }

  get size(): number {
    return this.#entries.size;
  }

  #gc(): void {
    const now = this.now();
    for (const [token, e] of this.#entries) {
      if (e.expiresAt >= now) return;
      this.#entries.delete(token);
    }
  }
}
