/**
 * What pulls in progress are holding (blobs, snapshots), so garbage collection running
 * at the same time never deletes something a pull has fetched but not yet recorded.
 * Counted, because two pulls may hold the same blob.
 */
export class Leases {
  readonly #held = new Map<string, number>();

  hold(keys: Iterable<string>): () => void {
    const list = [...keys];
    for (const k of list) this.#held.set(k, (this.#held.get(k) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const k of list) {
        const n = (this.#held.get(k) ?? 1) - 1;
        if (n <= 0) this.#held.delete(k);
        else this.#held.set(k, n);
      }
    };
  }

  has(key: string): boolean {
    return this.#held.has(key);
  }

  keys(): string[] {
    return [...this.#held.keys()];
  }
}
