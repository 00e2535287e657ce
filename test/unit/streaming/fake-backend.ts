/**
 * A streaming back end for in-process server tests: exec runs little scripts in JS
 * (`echo-stdin`, `exit N`, `flood`), attach echoes, dial connects to a local TCP server.
 * It records what it saw so tests can check that aborts arrive.
 */
import { dialPodPort } from "../../../src/streaming/portforward/tcp-dial.ts";
import type { StreamingBackend } from "../../../src/streaming/streaming-types.ts";

export type FakeBackend = StreamingBackend & { aborted: number; floodBytes: number; floodsEnded: number; sizes: { width: number; height: number }[] };

export function fakeBackend(): FakeBackend {
  const b: FakeBackend = {
    aborted: 0,
    floodBytes: 0,
    floodsEnded: 0,
    sizes: [],
    async exec(req, io, signal) {
      signal.addEventListener("abort", () => b.aborted++);
      const [cmd, arg] = req.cmd;
      if (io.resize) void (async () => {
        for await (const s of io.resize!) b.sizes.push(s);
      })();
      if (cmd === "exit") {
        await io.stdout?.write(Buffer.from("out\n"));
        await io.stderr?.write(Buffer.from("err\n"));
        await Promise.all([io.stdout?.end(), io.stderr?.end()]);
        return Number(arg);
      }
      if (cmd === "echo-stdin") {
        for await (const chunk of io.stdin!) await io.stdout!.write(chunk);
        await io.stdout!.end();
        return 0;
      }
      if (cmd === "flood") {
        // Ends when the client leaves (abort) or its stream fails (a write rejects).
        const chunk = Buffer.alloc(64 * 1024, 120);
        try {
          while (!signal.aborted) {
            await Promise.race([io.stdout!.write(chunk), new Promise((r) => signal.addEventListener("abort", r, { once: true }))]);
            b.floodBytes += chunk.length;
          }
        } finally {
          b.floodsEnded++;
        }
        return 137;
      }
      if (cmd === "wait-resize") {
        await Bun.sleep(Number(arg));
        return 0;
      }
      throw new Error(`executable file "${cmd}" not found`);
    },
    async attach(_req, io) {
      for await (const chunk of io.stdin!) await io.stdout!.write(chunk);
    },
    dial: (_pod, port) => dialPodPort((fn) => fn(), port, "the test host"),
  };
  return b;
}
