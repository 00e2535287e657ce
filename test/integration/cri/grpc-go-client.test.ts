/**
 * A gRPC client written in Go against skiff's own HTTP/2 server: Debian's `ctr`
 * (containerd 1.6, grpc-go 1.33) dialled at skiff's socket. The kubelet and crictl are
 * grpc-go too; their HPACK (Huffman strings, dynamic table), SETTINGS, window updates
 * and keepalive pings must all go through. skiff serves none of containerd's own
 * services, so each call must come back as a gRPC UNIMPLEMENTED, not a transport error.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { type Daemon, startDaemon } from "../harness.ts";

const ctr = ["/usr/bin/ctr", "/usr/local/bin/ctr"].find((p) => fs.existsSync(p));

let d: Daemon;
beforeAll(async () => {
  if (ctr) d = await startDaemon({ extraConfig: "" });
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
