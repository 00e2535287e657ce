/**
 * skiff's SPDY/3.1 against a SPDY implementation that is not ours: the streaming server
 * of Debian's containerd 1.6 (Go, moby/spdystream inside, the same code the kubelet
 * serves). The test gets URLs from containerd's CRI Exec and PortForward, does the
 * HTTP/1.1 upgrade itself with upgrade.ts, and speaks remotecommand v4 and
 * portforward.k8s.io through a client session, as kubectl (client-go) would.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { type CriClient, createCriClient } from "../../../src/cli/cri-client.ts";
import {
  RstStatus,
  type SpdySession,
  type SpdySessionOptions,
  SpdyStreamError,
  type SpdyStream,
  createSpdySession,
  parseUpgradeResponse,
  spdyUpgradeRequest,
  splitHttpHead,
} from "../../../src/streaming/spdy/index.ts";
import { type ContainerdPods, startContainerdForPods } from "../../support/containerd-pods.ts";
import { type PodImages, pushPodImages } from "../../support/pod-images.ts";
import { type TestRegistry, startRegistry } from "../../support/registry.ts";
import { drain, until } from "../../unit/streaming/spdy/helpers.ts";
import { isRoot } from "../harness.ts";

/** Dials a streaming URL and upgrades to SPDY/3.1 offering `protocols`. */
async function dialSpdy(url: string, protocols: string[], opts: SpdySessionOptions = {}): Promise<{ session: SpdySession; protocol: string | undefined }> {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
  sock.write(spdyUpgradeRequest({ path: u.pathname + u.search, host: u.host, protocols }));
  let got: Uint8Array = new Uint8Array(0);
  for (;;) {
    const chunk = await new Promise<Uint8Array>((resolve, reject) => {
      sock.once("data", resolve).once("error", reject).once("end", () => reject(new Error(`connection closed during the upgrade: ${new TextDecoder().decode(got)}`)));
    });
    got = Buffer.concat([got, chunk]);
    const split = splitHttpHead(got);
    if (!split) continue;
    sock.pause();
    sock.removeAllListeners("data").removeAllListeners("end").removeAllListeners("error");
    const res = parseUpgradeResponse(split.head);
    if (!res.upgraded) throw new Error(`upgrade refused: ${res.status} ${res.reason}: ${new TextDecoder().decode(split.rest)}`);
    const session = createSpdySession(sock, "client", opts, split.rest);
    sock.resume();
    return { session, protocol: res.protocol };
  }
}

/** The two streams client-go opens per port-forward connection: error (closed for writing at once, as client-go does), then data. */
async function portForwardStreams(session: SpdySession, port: number, requestId: string): Promise<{ error: SpdyStream; data: SpdyStream }> {
  const headers = { port: String(port), requestid: requestId };
  const error = await session.open({ streamtype: "error", ...headers });
  await error.end();
  const data = await session.open({ streamtype: "data", ...headers });
  return { error, data };
}

describe.skipIf(!isRoot)("SPDY/3.1 against containerd's streaming server", () => {
  let reg: TestRegistry;
  let images: PodImages;
  let ctrd: ContainerdPods;
  let client: CriClient;
  let work: string;
  let podId = "";
  let ctrId = "";

  beforeAll(async () => {
    reg = await startRegistry();
    images = await pushPodImages(reg.host);
    ctrd = await startContainerdForPods({ registryHost: reg.host, sandboxImage: images.pause });
    client = createCriClient(ctrd.endpoint, { timeoutMs: 60_000 });
    work = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-spdy-ctrd-"));
    const config = { metadata: { name: "spdy", namespace: "spdy-test", uid: "spdy-uid", attempt: 0 }, hostname: "spdy", logDirectory: work, linux: {} };
    podId = (await client.runtime.runPodSandbox({ config })).podSandboxId;
    await client.image.pullImage({ image: { image: images.busybox } });
    const ctr = { metadata: { name: "box", attempt: 0 }, image: { image: images.busybox }, command: ["sh", "-c", "nc -ll -p 8080 -e cat & exec sleep 3600"], logPath: "box.log", linux: {} };
    ctrId = (await client.runtime.createContainer({ podSandboxId: podId, config: ctr, sandboxConfig: config })).containerId;
    await client.runtime.startContainer({ containerId: ctrId });
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await ctrd?.stop();
    await reg?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  /** Exec through containerd: the streams client-go's v4 opens, in its order (error first). */
  async function exec(cmd: string[], io: { stdin?: boolean; stdout?: boolean; stderr?: boolean }, opts: SpdySessionOptions = {}) {
    const { url } = await client.runtime.exec({ containerId: ctrId, cmd, stdin: !!io.stdin, stdout: !!io.stdout, stderr: !!io.stderr, tty: false });
    const { session, protocol } = await dialSpdy(url, ["v4.channel.k8s.io", "v3.channel.k8s.io"], opts);
    const error = await session.open({ streamtype: "error" });
    const stdin = io.stdin ? await session.open({ streamtype: "stdin" }) : undefined;
    const stdout = io.stdout ? await session.open({ streamtype: "stdout" }) : undefined;
    const stderr = io.stderr ? await session.open({ streamtype: "stderr" }) : undefined;
    return { session, protocol, error, stdin, stdout, stderr };
  }

  test("exec: stdout and stderr arrive, and the error stream carries the v4 Status with the exit code", async () => {
    const x = await exec(["sh", "-c", "echo hello; echo oops >&2; exit 3"], { stdout: true, stderr: true });
    expect(x.protocol).toBe("v4.channel.k8s.io");
    const [out, err, status] = await Promise.all([drain(x.stdout as SpdyStream), drain(x.stderr as SpdyStream), drain(x.error)]);
    expect(out).toEqual({ bytes: Buffer.from("hello\n") }); // containerd ends stdout and stderr with FIN
    expect(err).toEqual({ bytes: Buffer.from("oops\n") });
    const st = JSON.parse(status.bytes.toString());
    expect(st).toMatchObject({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "3" }] } });
    // ...but the error stream with RST_STREAM CANCEL (Kubernetes' conn.Close resets every stream), then GOAWAY.
    expect(status.error).toBeInstanceOf(SpdyStreamError);
    expect((status.error as SpdyStreamError).status).toBe(RstStatus.cancel);
    expect(await x.session.closed).toBeUndefined();
    expect(x.session.streamCount).toBe(0);
  }, 60_000);

  test("exec: a zero exit sends a Success status", async () => {
    const x = await exec(["true"], { stdout: true });
    const [, status] = await Promise.all([drain(x.stdout as SpdyStream), drain(x.error)]);
    expect(JSON.parse(status.bytes.toString())).toMatchObject({ status: "Success" });
    await x.session.closed;
  }, 60_000);

  test("exec: 10 MiB through stdin arrives whole (wc -c)", async () => {
    const x = await exec(["wc", "-c"], { stdin: true, stdout: true });
    const reading = Promise.all([drain(x.stdout as SpdyStream), drain(x.error)]);
    const block = randomBytes(1024 * 1024);
    for (let i = 0; i < 10; i++) await x.stdin?.write(block);
    await x.stdin?.end();
    const [out, status] = await reading;
    expect(out.bytes.toString().trim()).toBe(String(10 * 1024 * 1024));
    expect(JSON.parse(status.bytes.toString())).toMatchObject({ status: "Success" });
  }, 60_000);

  test("exec: 10 MiB through cat comes back byte-identical, flowing both ways at once", async () => {
    const x = await exec(["cat"], { stdin: true, stdout: true });
    const data = randomBytes(10 * 1024 * 1024);
    const reading = drain(x.stdout as SpdyStream);
    for (let at = 0; at < data.length; at += 256 * 1024) await x.stdin?.write(data.subarray(at, at + 256 * 1024));
    await x.stdin?.end();
    const [out, status] = await Promise.all([reading, drain(x.error)]);
    expect(status.bytes.toString()).toContain('"status":"Success"');
    expect(out.error).toBeUndefined();
    expect(out.bytes.length).toBe(data.length);
    expect(createHash("sha256").update(out.bytes).digest("hex")).toBe(createHash("sha256").update(data).digest("hex"));
  }, 60_000);

  test("exec: containerd answers our PING (spdystream echoes the client's odd ids)", async () => {
    const x = await exec(["sleep", "1"], { stdout: true });
    expect(await x.session.ping(10_000)).toBeGreaterThan(0);
    await Promise.all([drain(x.stdout as SpdyStream), drain(x.error)]);
  }, 60_000);

  test("exec: while we do not read, spdystream (which ignores our windows) is held back by TCP and our buffer stays bounded", async () => {
    const sessionWindowBytes = 1024 * 1024;
    const x = await exec(["head", "-c", "31457280", "/dev/zero"], { stdout: true }, { sessionWindowBytes });
    const out = x.stdout as SpdyStream;
    await until("our buffer to pass the session window", () => out.buffered > sessionWindowBytes, 10_000);
    await Bun.sleep(300);
    // The session window, plus the rest of the socket read that crossed it (Bun reads up to 512 KiB).
    expect(out.buffered).toBeLessThanOrEqual(sessionWindowBytes + 512 * 1024);
    const [all, status] = await Promise.all([drain(out), drain(x.error)]);
    // Every byte, even those still in the kernel when containerd closed (see session-data.ts on RST).
    expect(all.error).toBeUndefined();
    expect(all.bytes.length).toBe(30 * 1024 * 1024);
    expect(JSON.parse(status.bytes.toString())).toMatchObject({ status: "Success" });
  }, 60_000);

  test("port-forward: two connections at once to an echo server in the pod, each with its error and data stream", async () => {
    const { url } = await client.runtime.portForward({ podSandboxId: podId, port: [8080] });
    const { session, protocol } = await dialSpdy(url, ["portforward.k8s.io"]);
    expect(protocol).toBe("portforward.k8s.io");
    const forward = async (requestId: string, data: Buffer) => {
      const { error, data: stream } = await portForwardStreams(session, 8080, requestId);
      const chunks: Uint8Array[] = [];
      let got = 0;
      const reader = stream.readable.getReader();
      const reading = (async () => {
        while (got < data.length) {
          const { value, done } = await reader.read();
          if (done) break;
          chunks.push(value);
          got += value.length;
        }
      })();
      await stream.write(data);
      await reading;
      reader.releaseLock();
      stream.reset();
      error.reset();
      return Buffer.concat(chunks);
    };
    const a = randomBytes(3 * 1024 * 1024);
    const b = randomBytes(1024 * 1024);
    const [ea, eb] = await Promise.all([forward("0", a), forward("1", b)]);
    expect(ea.equals(a)).toBe(true);
    expect(eb.equals(b)).toBe(true);
    await session.close();
    expect(await session.closed).toBeUndefined();
  }, 60_000);

  test("port-forward: our FIN on the data stream ends the connection in the pod, and containerd FINs both streams back", async () => {
    const { url } = await client.runtime.portForward({ podSandboxId: podId, port: [8080] });
    const { session } = await dialSpdy(url, ["portforward.k8s.io"]);
    const { error, data } = await portForwardStreams(session, 8080, "0");
    const payload = randomBytes(64 * 1024);
    const reading = drain(data);
    await data.write(payload);
    await data.end();
    const back = await reading;
    expect(back.error).toBeUndefined();
    expect(back.bytes.equals(payload)).toBe(true);
    expect(await drain(error)).toEqual({ bytes: Buffer.alloc(0) }); // no error text, a clean FIN
    await Promise.all([data.closed, error.closed]);
    await session.close();
    expect(await session.closed).toBeUndefined();
  }, 60_000);

  test("port-forward: a port with nothing listening gets its error text on the error stream", async () => {
    const { url } = await client.runtime.portForward({ podSandboxId: podId, port: [9] });
    const { session } = await dialSpdy(url, ["portforward.k8s.io"]);
    const { error, data } = await portForwardStreams(session, 9, "0");
    const msg = await drain(error);
    expect(msg.bytes.toString()).toMatch(/failed to connect to localhost:9 inside namespace/);
    expect(await drain(data)).toEqual({ bytes: Buffer.alloc(0) }); // containerd FINs the data stream too
    await data.end(); // close() waits for our side of every stream
    await session.close();
    expect(await session.closed).toBeUndefined();
  }, 60_000);
});
