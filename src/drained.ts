import type { EventEmitter } from "node:events";

/**
 * Resolves when a node:stream Writable drains or closes, so a writer waiting on one that
 * was destroyed never hangs.
 */
export function drained(s: EventEmitter): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      s.off("drain", done);
      s.off("close", done);
      resolve();
    };
    s.once("drain", done);
    s.once("close", done);
  });
}
