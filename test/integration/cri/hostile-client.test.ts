/**
 * A hostile client on the socket, one test per kind of abuse: each gets a clear gRPC
 * error (or, where it breaks HTTP/2's own rules, the HTTP/2 answer to that), a
 * well-behaved client on its own connection keeps being served all along, and nothing
 * on disk changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { FLAG, FRAME, frame, grpcHeaders, grpcMessage, type H2Answer, h2Call, rawH2 } from "../../support/raw-h2.ts";
import { pushPodImages } from "../../support/pod-images.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { type Daemon, grpcClient, type GrpcClient, isRoot, skiffBinary, startDaemon } from "../harness.ts";
import { codeOf, containerConfig, mountsUnder, podConfig, waitFor } from "./pod-fixtures.ts";

const MAX_RECV = 1024 * 1024;
/** A group the socket is given (Debian's "daemon", gid 1). */
const GROUP = { name: "daemon", gid: 1 };

let reg: TestRegistry;
let d: Daemon;
let work: string;
let image: string;
let pod: string;
let bystander: Bystander;

/** A well-behaved client on a connection of its own, calling all the time; every failure is kept. */
type Bystander = { client: GrpcClient; calls: number; failures: string[]; stop(): Promise<void> };

function startBystander(socket: string): Bystander {
  const client = grpcClient(socket, "RuntimeService");
  let running = true;
  const b: Bystander = { client, calls: 0, failures: [], stop: async () => {} };
  const loop = (async () => {
    while (running) {
      for (const m of ["Version", "ListPodSandbox", "Status"]) {
        try {
          await client.call(m, {}, 10_000);
          b.calls++;
        } catch (err) {
          b.failures.push(`${m}: ${(err as Error).message}`);
        }
      }
      await Bun.sleep(20);
    }
  })();
  b.stop = async () => {
    running = false;
    await loop;
    client.close();
  };
  return b;
}

/** Waits until the bystander made a few more calls, and checks none of its calls failed. */
async function bystanderStillServed(): Promise<void> {
  const from = bystander.calls;
  await waitFor("the well-behaved client's next calls", async () => (bystander.calls >= from + 6 ? true : undefined), 20_000);
  expect(bystander.failures).toEqual([]);
}

/** What is on disk and mounted for this daemon (the sqlite files left out), and what it lists. */
async function diskState(): Promise<string[]> {
  const list = (dir: string) =>
    fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]).filter((p) => !/skiff\.db/.test(p)).map((p) => `${dir}/${p}`) : [];
  const pods = (await d.runtime.call<any>("ListPodSandbox")).items.map((p: any) => `pod ${p.id}`);
  const ctrs = ((await d.runtime.call<any>("ListContainers")).containers ?? []).map((c: any) => `ctr ${c.id}`);
  return [...list(d.root), ...list(d.state), ...list(work), ...mountsUnder(d.dir), ...pods, ...ctrs].sort();
}

/** Runs `hostile`, then checks that the bystander was served throughout and nothing on disk changed. */
async function harmless(hostile: () => Promise<void>): Promise<void> {
  const before = await diskState();
  await hostile();
  await bystanderStillServed();
  expect(await diskState()).toEqual(before);
}

const RUNTIME = "/runtime.v1.RuntimeService";

describe.skipIf(!isRoot)("a hostile client on the socket", () => {
  beforeAll(async () => {
    reg = await startRegistry();
    image = (await pushPodImages(reg.host)).busybox;
    work = fs.mkdtempSync("/tmp/skiff-hostile-");
    fs.mkdirSync(path.join(work, "logs"));
    d = await startDaemon({ serverConfig: `max_recv_message_bytes = ${MAX_RECV}\nsocket_group = "${GROUP.name}"\n` });
    await d.image.call("PullImage", { image: { image } }, 60_000);
    // A host-network pod (no CNI needed) whose ~400 KB of annotations make ListPodSandbox big.
    const annotations = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`note-${i}`, "x".repeat(1000)]));
    const hostNet = { linux: { security_context: { namespace_options: { network: "NODE" } } } };
    const r = await d.runtime.call<any>("RunPodSandbox", { config: podConfig("big", path.join(work, "logs"), { ...hostNet, annotations }) }, 60_000);
    pod = r.pod_sandbox_id;
    bystander = startBystander(d.socket);
  }, 120_000);

  afterAll(async () => {
    await bystander?.stop();
    try {
      if (d) {
        for (const p of (await d.runtime.call<any>("ListPodSandbox")).items) await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: p.id }, 60_000);
        await d.stop();
      }
    } finally {
      await reg?.stop();
      if (d) fs.rmSync(d.dir, { recursive: true, force: true });
      if (work) fs.rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  test("the socket is 0660, owned by root and the configured group: a member may call, anyone else may not", async () => {
    const st = fs.statSync(d.socket);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.uid).toBe(0);
    expect(st.gid).toBe(GROUP.gid);
    // Another user needs a way to the socket's dir and a binary it may run.
    fs.chmodSync(d.dir, 0o711);
    const bin = path.join(work, "skiff");
    fs.copyFileSync(skiffBinary(), bin);
    fs.chmodSync(bin, 0o755);
    const asNobody = (groups: string[]) =>
      Bun.spawnSync(["setpriv", "--reuid=65534", "--regid=65534", ...groups, "--", bin, "info", "--endpoint", `unix://${d.socket}`, "--timeout", "5"], { stdout: "pipe", stderr: "pipe" });
    const outsider = asNobody(["--clear-groups"]);
    expect(outsider.exitCode).toBe(1);
    expect(outsider.stderr.toString()).toContain("EACCES");
    const member = asNobody([`--groups=${GROUP.gid}`]);
    expect(member.stderr.toString()).toBe("");
    expect(member.exitCode).toBe(0);
  });

  test("the socket never shows up with a looser mode, even under umask 000", async () => {
    const dir = fs.mkdtempSync("/tmp/skiff-umask-");
    const socket = path.join(dir, "run/skiff.sock");
    fs.writeFileSync(path.join(dir, "config.toml"), `[server]\nsocket = "${socket}"\n[paths]\nroot = "${dir}/root"\nstate = "${dir}/state"\n[cni]\nconf_dir = "${dir}/cni"\nwrite_default = false\n`);
    const proc = Bun.spawn(["sh", "-c", `umask 000; exec ${skiffBinary()} serve --config ${dir}/config.toml`], { stdout: "ignore", stderr: "ignore" });
    try {
      const seen = new Set<number>();
      const until = Date.now() + 15_000;
      while (Date.now() < until && proc.exitCode === null) {
        try {
          seen.add(fs.lstatSync(socket).mode & 0o777);
          if (seen.size > 0 && fs.readdirSync(path.dirname(socket)).length === 1) break;
        } catch {
          // not there yet
        }
      }
      expect([...seen]).toEqual([0o660]);
      // The private dir it was bound in is gone.
      expect(fs.readdirSync(path.dirname(socket))).toEqual(["skiff.sock"]);
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("malformed protobuf gets INTERNAL naming the parse error, and makes nothing", async () => {
    const nested = new Uint8Array(200_000 * 4);
    for (let i = 0; i < 200_000; i++) nested.set([0x9b, 0x06], 2 * i); // field 99, start group
    for (let i = 0; i < 200_000; i++) nested.set([0x9c, 0x06], 400_000 + 2 * i); // end group
    const bodies = [
      { desc: "random bytes", bytes: crypto.getRandomValues(new Uint8Array(2048)) },
      { desc: "a length past the end", bytes: new Uint8Array([0x0a, 0xff, 0xff, 0x03, 0x01]) },
      { desc: "groups nested 200,000 deep", bytes: nested },
    ];
    await harmless(async () => {
      for (const b of bodies) {
        for (const method of ["RunPodSandbox", "CreateContainer"]) {
          const a = await h2Call(d.socket, `${RUNTIME}/${method}`, grpcMessage(b.bytes)).answer;
          expect({ what: `${method} of ${b.desc}`, status: a.grpcStatus }).toEqual({ what: `${method} of ${b.desc}`, status: String(GrpcStatus.INTERNAL) });
          expect(a.grpcMessage).toMatch(/^parse binary: /);
        }
      }
    });
  });

  test("a message over max_recv_message_bytes is RESOURCE_EXHAUSTED, whether it is sent or only announced", async () => {
    await harmless(async () => {
      const err = await codeOf(d.runtime.call("UpdateRuntimeConfig", { runtime_config: { network_config: { pod_cidr: "x".repeat(2 * MAX_RECV) } } }));
      expect(err.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
      expect(err.details).toContain(String(MAX_RECV));
      const announced = await h2Call(d.socket, `${RUNTIME}/RunPodSandbox`, grpcMessage(new Uint8Array(4096), 1 << 30)).answer;
      expect(announced.grpcStatus).toBe(String(GrpcStatus.RESOURCE_EXHAUSTED));
      expect(announced.grpcMessage).toContain("1073741824");
    });
  });

  test("thousands of streams on one connection: those past its limit are refused, the connection told to calm down", async () => {
    await harmless(async () => {
      const c = await rawH2(d.socket);
      for (let i = 0; i < 3000; i++) c.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, 1 + 2 * i, grpcHeaders(`${RUNTIME}/Version`)));
      await waitFor("the server to push back", async () => ([...c.resets.values()].includes(7) || c.goaway !== undefined ? true : undefined));
      await bystanderStillServed();
      c.close();
      await c.closed;
    });
  });

  test("thousands of calls over many connections: past the bound they get RESOURCE_EXHAUSTED, and the bound is freed after", async () => {
    await harmless(async () => {
      const sessions = Array.from({ length: 40 }, () => http2.connect("http://localhost", { createConnection: () => net.connect(d.socket) }));
      // Each call's body is left open: the server holds every call it took.
      const calls = sessions.flatMap((session) => Array.from({ length: 100 }, () => h2Call(d.socket, `${RUNTIME}/Version`, new Uint8Array(0), { session, end: false })));
      const refused: H2Answer[] = [];
      for (const c of calls) void c.answer.then((a) => refused.push(a));
      // 4,000 calls, at most 1,024 held plus 8 per connection past that: 2,700 or more refused.
      await waitFor("calls past the bound to be refused", async () => (refused.length >= 2500 ? true : undefined), 30_000);
      for (const a of refused.slice()) {
        expect(a.grpcStatus).toBe(String(GrpcStatus.RESOURCE_EXHAUSTED));
        expect(a.grpcMessage).toContain("too many calls in flight");
      }
      await bystanderStillServed();
      for (const c of calls) c.cancel();
      await Promise.all(calls.map((c) => c.answer));
      for (const s of sessions) s.close();
      // Every slot was given back: a burst well past the per-connection floor goes through.
      const burst = grpcClient(d.socket, "RuntimeService");
      try {
        const answers = await Promise.all(Array.from({ length: 64 }, () => burst.call<any>("Version")));
        expect(answers.every((a) => a.runtime_name === "skiff")).toBe(true);
      } finally {
        burst.close();
      }
    });
  });

  test("a client that never reads its big responses: skiff keeps at most a few, drops the rest, and serves others", async () => {
    await harmless(async () => {
      const c = await rawH2(d.socket);
      const n = 200;
      for (let i = 0; i < n; i++) {
        const id = 1 + 2 * i;
        c.send(frame(FRAME.HEADERS, FLAG.END_HEADERS, id, grpcHeaders(`${RUNTIME}/ListPodSandbox`)));
        c.send(frame(FRAME.DATA, FLAG.END_STREAM, id, grpcMessage(new Uint8Array(0))));
      }
      const ids = Array.from({ length: n }, (_, i) => 1 + 2 * i);
      const answered = (id: number) => c.resets.has(id) || c.ended.has(id) || (c.framesOf(FRAME.HEADERS).get(id) ?? 0) > 0;
      // Held: answered, but the answer waits for the client to read it. A dropped call's
      // headers may come a moment before its reset, so wait for the count to come down.
      const held = () => ids.filter((id) => !c.resets.has(id) && !c.ended.has(id));
      // ~400 KB each against an 8 MiB bound on what one connection may leave unread.
      await waitFor("every call answered, at most 25 held", async () => (ids.every(answered) && held().length <= 25 ? true : undefined), 30_000);
      const dropped = ids.filter((id) => c.resets.get(id) === 11);
      expect(dropped.length + ids.filter((id) => c.ended.has(id)).length).toBe(n - held().length);
      expect(dropped.length).toBeGreaterThan(0);
      // Meanwhile the same big answer goes out to a client that reads it.
      expect((await bystander.client.call<any>("ListPodSandbox")).items.length).toBe(1);
      await bystanderStillServed();
      c.close();
      await c.closed;
    });
  });

  test("huge label and annotation maps are InvalidArgument naming the field", async () => {
    // 40,000 small labels: 560 KB of keys and values, in a message under the 1 MiB limit.
    const many = Object.fromEntries(Array.from({ length: 40_000 }, (_, i) => [`label-${String(i).padStart(5, "0")}`, "vvv"]));
    await harmless(async () => {
      const runPod = await codeOf(d.runtime.call("RunPodSandbox", { config: podConfig("labelled", path.join(work, "logs"), { labels: many }) }));
      expect(runPod.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(runPod.details).toContain("config.labels");
      const create = await codeOf(
        d.runtime.call("CreateContainer", { pod_sandbox_id: pod, config: containerConfig("noted", image, "true", { annotations: { big: "y".repeat(600 * 1024) } }) }),
      );
      expect(create.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(create.details).toContain("config.annotations");
    });
  });

  test("ids with / or .. are NotFound (or nothing to do, where the call is idempotent), names with them InvalidArgument", async () => {
    const ids = ["../../etc", "..", "/", "a/../../b", "./."];
    await harmless(async () => {
      for (const id of ids) {
        for (const [method, field] of [["ContainerStatus", "container_id"], ["PodSandboxStatus", "pod_sandbox_id"], ["ContainerStats", "container_id"], ["ExecSync", "container_id"], ["ReopenContainerLog", "container_id"]]) {
          const err = await codeOf(d.runtime.call(method!, { [field!]: id, cmd: ["true"] }));
          expect({ method, id, code: err.code }).toEqual({ method, id, code: GrpcStatus.NOT_FOUND });
        }
        for (const [method, field] of [["StopContainer", "container_id"], ["RemoveContainer", "container_id"], ["StopPodSandbox", "pod_sandbox_id"], ["RemovePodSandbox", "pod_sandbox_id"]]) {
          await d.runtime.call(method!, { [field!]: id });
        }
        expect((await codeOf(d.runtime.call("CreateContainer", { pod_sandbox_id: id, config: containerConfig("c", image, "true") }))).code).toBe(GrpcStatus.NOT_FOUND);
        await d.image.call("RemoveImage", { image: { image: id } }).catch((e) => expect(e.code).toBe(GrpcStatus.INVALID_ARGUMENT));
      }
      const badName = await codeOf(d.runtime.call("RunPodSandbox", { config: podConfig("../escape", path.join(work, "logs")) }));
      expect(badName.code).toBe(GrpcStatus.INVALID_ARGUMENT);
      expect(badName.details).toContain("config.metadata.name");
      const badCtr = await codeOf(d.runtime.call("CreateContainer", { pod_sandbox_id: pod, config: containerConfig("a/b", image, "true") }));
      expect(badCtr.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    });
  });

  test("log paths that leave log_directory are InvalidArgument, symlinks included, and nothing is written outside", async () => {
    const outside = path.join(work, "outside");
    fs.mkdirSync(outside);
    fs.symlinkSync(outside, path.join(work, "logs", "escape"));
    const cases = ["../outside/x.log", "/etc/skiff-hostile.log", "a/../../x.log", "escape/x.log", "escape/sub/x.log"];
    await harmless(async () => {
      for (const logPath of cases) {
        const err = await codeOf(d.runtime.call("CreateContainer", { pod_sandbox_id: pod, config: containerConfig("logger", image, "true", { log_path: logPath }) }));
        expect({ logPath, code: err.code }).toEqual({ logPath, code: GrpcStatus.INVALID_ARGUMENT });
        expect(err.details).toContain("config.log_path");
      }
      const dir = await codeOf(d.runtime.call("RunPodSandbox", { config: podConfig("dotdot", "/var/log/pods/../../etc") }));
      expect(dir.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    });
    expect(fs.readdirSync(outside)).toEqual([]);
    expect(fs.existsSync("/etc/skiff-hostile.log")).toBe(false);
  });
});
