/** watchPull against an in-process skiff.v1.Images (createRouterTransport). */
import { describe, expect, test } from "bun:test";
import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { Images } from "../../../src/gen/skiff/v1/skiff_pb.ts";
import type { CriClient } from "../../../src/cli/cri-client.ts";
import { progressModeFor, watchPull } from "../../../src/cli/pull-watch.ts";

const A = `sha256:${"a".repeat(64)}`;

function clientWith(impl: Parameters<typeof createRouterTransport>[0]): CriClient {
  const transport = createRouterTransport(impl);
  return { skiff: createClient(Images, transport), close() {} } as unknown as CriClient;
}

const skiffLike = clientWith(({ service }) =>
  service(Images, {
    async *watchPull() {
      yield { kind: "resolved", digest: A, layers: [{ digest: A, size: 2000n }] };
      yield { kind: "download", digest: A, received: 1000n, total: 2000n };
      yield { kind: "downloaded", digest: A };
      yield { kind: "unpacked", digest: A };
      yield { kind: "done", message: "sha256:1d" };
    },
  }),
);
const otherRuntime = clientWith(({ service }) => service(Images, {}));

describe("watchPull", () => {
  test("a pipe gets one log line per step from a skiff endpoint", async () => {
    let out = "";
    await watchPull(skiffLike, "busybox", new AbortController().signal, { mode: "log", write: (s) => (out += s) });
    expect(out.split("\n").filter(Boolean)).toEqual([
      "resolved aaaaaaaaaaaa: 1 layer, 2 kB",
      "aaaaaaaaaaaa downloaded 2 kB",
      "aaaaaaaaaaaa unpacked",
    ]);
  });

  test("a pipe gets nothing from a runtime without WatchPull", async () => {
    let out = "";
    await watchPull(otherRuntime, "busybox", new AbortController().signal, { mode: "log", write: (s) => (out += s) });
    expect(out).toBe("");
  });

  test("a terminal shows the layers redrawn, ending in their final state", async () => {
    let out = "";
    await watchPull(skiffLike, "busybox", new AbortController().signal, { mode: "live", write: (s) => (out += s) });
    const last = out.slice(out.lastIndexOf("\x1b[2KPulling"));
    expect(last).toContain("1/1 layers");
    expect(last).toMatch(/aaaaaaaaaaaa\s+\[=+\]\s+2 kB \/ 2 kB\s+unpacked/);
  });

  test("a terminal on another runtime shows elapsed time until the pull returns", async () => {
    let out = "";
    const stop = new AbortController();
    const watching = watchPull(otherRuntime, "busybox", stop.signal, { mode: "live", write: (s) => (out += s), redrawMs: 10 });
    await Bun.sleep(60);
    stop.abort();
    await watching;
    expect(out).toMatch(/Pulling busybox {2}0\.\ds\n/);
    expect(out).not.toContain("layers");
  });

  test("aborting ends a watch that would run forever, without an error", async () => {
    const endless = clientWith(({ service }) =>
      service(Images, {
        async *watchPull(_req, ctx) {
          await new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new ConnectError("gone", Code.Canceled))));
        },
      }),
    );
    const stop = new AbortController();
    const watching = watchPull(endless, "busybox", stop.signal, { mode: "log", write: () => {} });
    setTimeout(() => stop.abort(), 20);
    expect(await watching).toBeUndefined();
  });

  test("off shows nothing and does not call the server", async () => {
    expect(await watchPull(otherRuntime, "x", new AbortController().signal, { mode: "off", write: () => { throw new Error("wrote"); } })).toBeUndefined();
  });
});

describe("progressModeFor", () => {
  test("a terminal gets the live display", () => expect(progressModeFor({ isTTY: true }, {})).toBe("live"));
  test("a dumb terminal gets log lines", () => expect(progressModeFor({ isTTY: true }, { TERM: "dumb" })).toBe("log"));
  test("a pipe gets log lines", () => expect(progressModeFor({}, {})).toBe("log"));
});
