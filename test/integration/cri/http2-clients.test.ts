/**
 * HTTP/2 clients other than the tests' own against skiff's own HTTP/2 server (the rest of
 * the suite speaks through grpc-js on Bun's node:http2 client):
 * - grpc-go, the kubelet's and crictl's: Debian's `ctr` (containerd 1.6, grpc-go 1.33)
 *   dialled at skiff's socket. Its HPACK (Huffman strings, dynamic table), SETTINGS,
 *   window updates and pings must all go through. skiff serves none of containerd's own
 *   services, so each call must come back as a gRPC UNIMPLEMENTED, not a transport error.
 * - nghttp2, through curl: a gRPC call written by hand, answered with headers, the reply
 *   and `grpc-status` trailers. (curl 7.88 fails a second request on a reused
 *   prior-knowledge connection over a unix socket against any server, node:http2's too,
 *   so each curl makes one.)
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { type Daemon, startDaemon } from "../harness.ts";

const ctr = ["/usr/bin/ctr", "/usr/local/bin/ctr"].find((p) => fs.existsSync(p));
const curl = ["/usr/bin/curl", "/usr/local/bin/curl"].find((p) => fs.existsSync(p));

let d: Daemon;
beforeAll(async () => {
  if (ctr || curl) d = await startDaemon({ extraConfig: "" });
});
afterAll(async () => {
  await d?.stop();
  if (d) fs.rmSync(d.dir, { recursive: true, force: true });
});

async function runCtr(...args: string[]): Promise<{ code: number; out: string }> {
  const p = Bun.spawn([ctr!, "--address", d.socket, "--timeout", "10s", ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: out + err };
}

describe.skipIf(!ctr)("grpc-go (ctr) against skiff's socket", () => {
  test("a unary call is answered: UNIMPLEMENTED naming the method", async () => {
    const r = await runCtr("version");
    expect(r.code).toBe(1);
    expect(r.out).toContain("rpc error: code = Unimplemented");
    expect(r.out).toContain("/containerd.services.version.v1.Version/Version is not a method skiff serves");
  });

  test("calls with metadata, one connection after another, all get gRPC answers", async () => {
    const answers = await Promise.all(["images", "containers", "tasks", "namespaces", "snapshots"].map((what) => runCtr(what, "ls")));
    // Some of ctr's verbs print the gRPC error as it came, others reword its code.
    for (const r of answers) expect(r.out).toMatch(/\/containerd\.services\.\w+\.v1\.\w+\/\w+ is not a method skiff serves($|: not implemented)/m);
    expect((await d.runtime.call<any>("Version", {})).runtime_name).toBe("skiff");
  });
});

/** One gRPC call by curl: the envelope of `message`, answered as curl prints it with -i. */
async function curlCall(path: string, message: Uint8Array): Promise<{ code: number; out: string }> {
  const body = new Uint8Array(5 + message.length);
  new DataView(body.buffer).setUint32(1, message.length);
  body.set(message, 5);
  const file = `${d.dir}/curl-body`;
  fs.writeFileSync(file, body);
  const args = ["-s", "-i", "--http2-prior-knowledge", "--unix-socket", d.socket, "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", `@${file}`, "--output", "-", `http://localhost${path}`];
  const p = Bun.spawn([curl!, ...args], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(p.stdout).arrayBuffer(), p.exited]);
  return { code, out: Buffer.from(out).toString("latin1") };
}

describe.skipIf(!curl)("nghttp2 (curl) against skiff's socket", () => {
  test("a Version call: status 200, the reply, grpc-status 0 in the trailers", async () => {
    const r = await curlCall("/runtime.v1.RuntimeService/Version", Uint8Array.from([0x0a, 0x02, 0x76, 0x31])); // version: "v1"
    expect(r.code).toBe(0);
    expect(r.out).toStartWith("HTTP/2 200 \r\ncontent-type: application/grpc+proto\r\n");
    expect(r.out).toContain("skiff");
    expect(r.out).toEndWith("grpc-status: 0\r\n");
  });

  test("a call skiff does not serve: a trailers-only style answer with UNIMPLEMENTED", async () => {
    const r = await curlCall("/runtime.v1.RuntimeService/Nope", new Uint8Array(0));
    expect(r.code).toBe(0);
    expect(r.out).toContain("grpc-status: 12\r\n");
    expect(r.out).toContain("grpc-message: /runtime.v1.RuntimeService/Nope is not a method skiff serves");
  });
});
