/** Node streams (sockets, the terminal) as the web streams and sinks the streaming code takes. */
import type { Readable, Writable } from "node:stream";
import type { ByteSink } from "../../runtime/process-io.ts";

/** A node Readable as a ReadableStream; the Readable pauses while the reader is behind. */
export function webReadable(r: Readable): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        const close = () => {
          if (open) c.close();
          open = false;
        };
        r.on("data", (d: Buffer | string) => {
          if (!open) return;
          c.enqueue(typeof d === "string" ? Buffer.from(d) : new Uint8Array(d));
          if ((c.desiredSize ?? 0) <= 0) r.pause();
        });
        r.on("end", close);
        r.on("close", close);
        r.on("error", (e) => {
          if (open) c.error(e);
          open = false;
        });
      },
      pull: () => {
        r.resume();
      },
      cancel: () => {
        open = false;
        r.destroy();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: 256 * 1024 }),
  );
}

/** A node Writable as a sink; `end` ends it unless `keepOpen` (the terminal's stdout). */
export function nodeSink(w: Writable, keepOpen = false): ByteSink {
  return {
    write: (chunk) =>
      new Promise((resolve, reject) => {
        if (w.destroyed) return reject(new Error("the output is closed"));
        if (w.write(chunk)) return resolve();
        const done = () => {
          w.off("drain", done);
          w.off("close", done);
          w.destroyed ? reject(new Error("the output is closed")) : resolve();
        };
        w.on("drain", done);
        w.on("close", done);
      }),
    end: async () => {
      if (!keepOpen) w.end();
    },
  };
}

/** A socket's two halves, for a splice. */
export function socketHalves(socket: Readable & Writable): { readable: ReadableStream<Uint8Array>; sink: ByteSink } {
  return { readable: webReadable(socket), sink: nodeSink(socket) };
}
