/**
 * Exec, attach and port-forward for real, as root: skiff's streaming server in the
 * compiled daemon, runc/conmon processes in a pod, driven by clients that are not the
 * server's code (@kubernetes/client-node over WebSocket, grpc-js for the RPCs) and by
 * skiff's own client over each transport this build has.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as net from "node:net";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { runRemoteCommand } from "../../../src/streaming/client/remote-command-client.ts";
import { startPortForward } from "../../../src/streaming/client/port-forward-client.ts";
import { spdySessionFactory } from "../../../src/streaming/spdy-factory.ts";
import { BytePipe, LatestQueue } from "../../../src/streaming/byte-pipe.ts";
import { isRoot, skiffBinary } from "../harness.ts";
import { codeOf, waitFor } from "../cri/pod-fixtures.ts";
import { type StreamEnv, clientNodeAttach, clientNodeExec, collector, processesWith, startStreamEnv } from "./stream-fixtures.ts";

const TRANSPORTS = spdySessionFactory() ? (["spdy", "websocket"] as const) : (["websocket"] as const);
let env: StreamEnv;

function sink() {
  const parts: Uint8Array[] = [];
  return { parts, text: () => Buffer.concat(parts).toString(), bytes: () => Buffer.concat(parts), write: async (c: Uint8Array) => void parts.push(c), end: async () => {} };
}

const execUrl = async (cmd: string[], o: Partial<{ stdin: boolean; tty: boolean; stderr: boolean; container: string }> = {}) =>
  (await env.call("Exec", { container_id: o.container ?? env.sleeper, cmd, stdin: o.stdin ?? false, stdout: true, stderr: o.stderr ?? !o.tty, tty: o.tty ?? false })).url as string;

describe.skipIf(!isRoot)("streaming against the compiled daemon", () => {
  beforeAll(async () => {
    env = await startStreamEnv();
  }, 120_000);
  afterAll(async () => {
    await env?.close();
  }, 60_000);

  describe("RPC checks", () => {
    const cases = [
      { desc: "tty with stderr is InvalidArgument", method: "Exec", req: () => ({ container_id: env.sleeper, cmd: ["true"], tty: true, stderr: true, stdout: true }), code: GrpcStatus.INVALID_ARGUMENT },
      { desc: "no stream at all is InvalidArgument", method: "Exec", req: () => ({ container_id: env.sleeper, cmd: ["true"] }), code: GrpcStatus.INVALID_ARGUMENT },
      { desc: "an empty command is InvalidArgument", method: "Exec", req: () => ({ container_id: env.sleeper, cmd: [], stdout: true }), code: GrpcStatus.INVALID_ARGUMENT },
      { desc: "an unknown container is NotFound", method: "Exec", req: () => ({ container_id: "f".repeat(64), cmd: ["true"], stdout: true }), code: GrpcStatus.NOT_FOUND },
      { desc: "attach to an unknown container is NotFound", method: "Attach", req: () => ({ container_id: "f".repeat(64), stdout: true }), code: GrpcStatus.NOT_FOUND },
      { desc: "port-forward to an unknown pod is NotFound", method: "PortForward", req: () => ({ pod_sandbox_id: "f".repeat(64), port: [80] }), code: GrpcStatus.NOT_FOUND },
      { desc: "port 70000 is InvalidArgument", method: "PortForward", req: () => ({ pod_sandbox_id: env.pod, port: [70000] }), code: GrpcStatus.INVALID_ARGUMENT },
    ];
    for (const tc of cases) test(tc.desc, async () => expect((await codeOf(env.call(tc.method, tc.req()))).code).toBe(tc.code));
    test("an exited container is FailedPrecondition", async () => {
      const done = await env.runContainer(env.pod, "done", "true");
      await waitFor("exit", async () => ((await env.call("ContainerStatus", { container_id: done })).status.state === "CONTAINER_EXITED" ? true : undefined));
      expect((await codeOf(env.call("Exec", { container_id: done, cmd: ["true"], stdout: true }))).code).toBe(GrpcStatus.FAILED_PRECONDITION);
    });
    test("a used URL is 404", async () => {
      const url = await execUrl(["true"]);
      expect(await runRemoteCommand(url, "websocket", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).toBe(0);
      expect((await fetch(url)).status).toBe(404);
    });
  });

  describe("exec", () => {
    test("client-node over WebSocket: stdout, stderr and the exit code as NonZeroExitCode", async () => {
      const out = collector();
      const err = collector();
      const url = await execUrl(["sh", "-c", "echo out; echo err >&2; exit 3"]);
      const status = await new Promise<any>((resolve, reject) => clientNodeExec(url).exec("ns", "p", "c", ["x"], out, err, null, false, resolve).catch(reject));
      expect([out.text(), err.text(), status.reason, status.details.causes[0].message]).toEqual(["out\n", "err\n", "NonZeroExitCode", "3"]);
    });
    for (const transport of TRANSPORTS) {
      test(`${transport}: 50 concurrent execs each get their own output and exit code`, async () => {
        const runs = Array.from({ length: 50 }, async (_, i) => {
          const out = sink();
          const code = await runRemoteCommand(await execUrl(["sh", "-c", `echo run-${i}; exit ${i % 7}`], { stderr: false }), transport, { stdin: false, stdout: true, stderr: false, tty: false }, { stdout: out });
          return { out: out.text(), code };
        });
        const results = await Promise.all(runs);
        results.forEach((r, i) => expect(r).toEqual({ out: `run-${i}\n`, code: i % 7 }));
      }, 60_000);
      test(`${transport}: 10 MiB of stdin arrive intact`, async () => {
        const data = Buffer.alloc(10 << 20).map((_, i) => (i * 31 + (i >> 12)) % 256);
        const out = sink();
        const code = await runRemoteCommand(await execUrl(["md5sum"], { stdin: true, stderr: false }), transport, { stdin: true, stdout: true, stderr: false, tty: false }, { stdin: new Blob([data]).stream(), stdout: out });
        expect(code).toBe(0);
        expect(out.text().split(" ")[0]).toBe(createHash("md5").update(data).digest("hex"));
      }, 30_000);
      test(`${transport}: a tty starts at the client's size and follows a resize (stty size)`, async () => {
        const sizes = new LatestQueue<{ width: number; height: number }>();
        sizes.push({ width: 111, height: 33 });
        const stdin = new BytePipe();
        const out = sink();
        const url = await execUrl(["sh"], { stdin: true, tty: true });
        const run = runRemoteCommand(url, transport, { stdin: true, stdout: true, stderr: false, tty: true }, { stdin: stdin.readable, stdout: out, resize: sizes });
        await stdin.push(Buffer.from("stty size\n"));
        await waitFor("first size", async () => (out.text().includes("33 111") ? true : undefined));
        sizes.push({ width: 90, height: 20 });
        await waitFor("resized", async () => {
          await stdin.push(Buffer.from("stty size\n"));
          await Bun.sleep(100);
          return out.text().includes("20 90") ? true : undefined;
        });
        await stdin.push(Buffer.from("exit 5\n"));
        expect(await run).toBe(5);
      }, 30_000);
    }
    test("a command that cannot start is an error status with the runtime's reason", async () => {
      const url = await execUrl(["/no/such/binary"]);
      await expect(runRemoteCommand(url, "websocket", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).rejects.toThrow(/no such file|not found/);
    });
    test("a client killed mid-command takes the process with it, and skiff keeps serving", async () => {
      const marker = String(3000 + (process.pid % 1000));
      const client = Bun.spawn([skiffBinary(), "exec", "-r", `unix://${env.d.socket}`, "--transport", "websocket", env.sleeper, "sleep", marker], { stdout: "ignore", stderr: "ignore" });
      await waitFor("the process", async () => (processesWith(`sleep\0${marker}`).length > 0 ? true : undefined));
      client.kill("SIGKILL");
      await waitFor("the process to go", async () => (processesWith(`sleep\0${marker}`).length === 0 ? true : undefined));
      expect(await runRemoteCommand(await execUrl(["true"]), "websocket", { stdin: false, stdout: true, stderr: true, tty: false }, { stdout: sink(), stderr: sink() })).toBe(0);
    }, 30_000);
  });
  describe("attach", () => {
    test("client-node: stdin reaches the main process, its output comes back, and leaving keeps it running", async () => {
      const id = await env.runContainer(env.pod, "talker", "while read l; do echo got:$l; done", { stdin: true });
      const url = (await env.call("Attach", { container_id: id, stdin: true, stdout: true, stderr: true })).url as string;
      const out = collector();
      const input = new (await import("node:stream")).PassThrough();
      const ws: any = await clientNodeAttach(url).attach("ns", "p", "c", out, collector(), input, false);
      input.write("hi\n");
      await waitFor("the echo", async () => (out.text().includes("got:hi") ? true : undefined));
      ws.close();
      await Bun.sleep(200);
      expect((await env.call("ContainerStatus", { container_id: id })).status.state).toBe("CONTAINER_RUNNING");
    }, 30_000);
    for (const transport of TRANSPORTS) {
      test(`${transport}: a tty container follows the client's terminal size`, async () => {
        const id = await env.runContainer(env.pod, `tty-${transport}`, "sh", { stdin: true, tty: true });
        const url = (await env.call("Attach", { container_id: id, stdin: true, stdout: true, tty: true })).url as string;
        const sizes = new LatestQueue<{ width: number; height: number }>();
        sizes.push({ width: 77, height: 22 });
        const stdin = new BytePipe();
        const out = sink();
        const run = runRemoteCommand(url, transport, { stdin: true, stdout: true, stderr: false, tty: true }, { stdin: stdin.readable, stdout: out, resize: sizes });
        await waitFor("the size", async () => {
          await stdin.push(Buffer.from("stty size\n"));
          await Bun.sleep(100);
          return out.text().includes("22 77") ? true : undefined;
        });
        await stdin.push(Buffer.from("exit\n"));
        expect(await run).toBe(0);
      }, 30_000);
    }
  });

  describe("port-forward", () => {
    const ECHO = 20000 + (process.pid % 20000);
    const BLOB = ECHO + 1;
    let hostListener: net.Server | undefined;
    let echoServer: ReturnType<typeof Bun.spawn> | undefined;
    let blobMd5 = "";
    beforeAll(async () => {
      // An echo server in the pod's network namespace (busybox nc drops concurrent connections).
      const pin = path.join(env.d.state, "ns", "net", env.pod);
      const script = `require("node:net").createServer((s) => s.pipe(s)).listen(${ECHO}, "127.0.0.1")`;
      echoServer = Bun.spawn(["nsenter", `--net=${pin}`, process.execPath, "-e", script], { stdout: "ignore", stderr: "inherit" });
      await env.runContainer(env.pod, "blob", `dd if=/dev/urandom of=/tmp/blob bs=1048576 count=100 2>/dev/null && md5sum /tmp/blob > /tmp/blob.md5 && nc -ll -p ${BLOB} -e cat /tmp/blob`);
      // The host answers on the same port: a dial on the host instead of in the pod would show.
      hostListener = net.createServer((s) => s.end("host\n")).listen(ECHO, "127.0.0.1");
      await new Promise((r) => hostListener!.once("listening", r)).catch(() => (hostListener = undefined));
      const blobCtr = (await env.call("ListContainers", { filter: {} })).containers.find((c: any) => c.metadata.name === "blob").id;
      blobMd5 = await waitFor("the blob", async () => {
        const r = await env.call("ExecSync", { container_id: blobCtr, cmd: ["cat", "/tmp/blob.md5"], timeout: 10 });
        return /^[0-9a-f]{32} /.exec(Buffer.from(r.stdout ?? []).toString())?.[0].trim();
      }, 60_000);
    }, 90_000);
    afterAll(() => {
      hostListener?.close();
      echoServer?.kill();
    });

    const forward = (transport: (typeof TRANSPORTS)[number], remote: number, log: (l: string) => void = () => {}) =>
      startPortForward(transport, async (ports) => (await env.call("PortForward", { pod_sandbox_id: env.pod, port: ports })).url, [{ address: "127.0.0.1", local: 0, remote }], log);

    /**
     * Sends `data` and reads until `want` bytes came back, or, without `want`, until the
     * far end closes. (A WebSocket port-forward has no half-close, so an echo is read by
     * its length, not to its end.)
     */
    const exchange = (port: number, data: Buffer, want?: number) =>
      new Promise<Buffer>((resolve, reject) => {
        const s = net.connect(port, "127.0.0.1");
        const got: Buffer[] = [];
        let n = 0;
        s.on("data", (d: Buffer) => {
          got.push(d);
          n += d.length;
          if (want !== undefined && n >= want) s.destroy();
        });
        s.on("error", reject);
        s.on("close", () => resolve(Buffer.concat(got)));
        s.write(data);
      });

    for (const transport of TRANSPORTS) {
      test(`${transport}: 100 MiB from the pod arrive byte-identical`, async () => {
        const pf = await forward(transport, BLOB);
        try {
          const got = await waitFor("the blob server", async () => {
            const b = await exchange(pf.ports[0]!.local, Buffer.alloc(0)).catch(() => Buffer.alloc(0));
            return b.length > 0 ? b : undefined;
          });
          expect(got.length).toBe(100 << 20);
          expect(createHash("md5").update(got).digest("hex")).toBe(blobMd5);
        } finally {
          pf.stop();
        }
      }, 60_000);
      test(`${transport}: 20 connections at once each get their own bytes back from the pod, not the host`, async () => {
        const pf = await forward(transport, ECHO);
        try {
          await waitFor("the echo server", async () => ((await exchange(pf.ports[0]!.local, Buffer.from("x"), 1).catch(() => Buffer.alloc(0))).toString() === "x" ? true : undefined));
          const payloads = Array.from({ length: 20 }, (_, i) => Buffer.alloc(256 * 1024, i + 1));
          const got = await Promise.all(payloads.map((p) => exchange(pf.ports[0]!.local, p, p.length)));
          got.forEach((g, i) => expect(Buffer.compare(g, payloads[i]!)).toBe(0));
        } finally {
          pf.stop();
        }
      }, 60_000);
      test(`${transport}: a port nobody listens on is reported, and the forward goes on`, async () => {
        const lines: string[] = [];
        const pf = await forward(transport, 1, (l) => lines.push(l));
        try {
          await exchange(pf.ports[0]!.local, Buffer.from("x")).catch(() => Buffer.alloc(0));
          await waitFor("the error", async () => (lines.some((l) => l.includes("connection refused")) ? true : undefined));
        } finally {
          pf.stop();
        }
      }, 30_000);
    }
  });
});
