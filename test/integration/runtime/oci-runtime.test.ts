/**
 * The conmon + runc driver against the real binaries (conmon 2.1.6, runc 1.1.5) with
 * busybox-static bundles. Needs root. Every container, cgroup and dir is removed in afterAll.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { memoryCgroupOf, oomKillCount } from "../../../src/container/cgroup-stats.ts";
import * as os from "node:os";
import * as path from "node:path";
import { createOciRuntime, type OciRuntime } from "../../../src/runtime/linux/oci-runtime.ts";
import { parseCriLog } from "../../../src/runtime/linux/cri-log-line.ts";
import { writeBundle } from "./bundle-fixture.ts";

const isRoot = process.getuid?.() === 0;
const CGROUP_PARENT = `skiff-rt-test-${process.pid}`;
const CONTROLLERS = ["memory", "pids", "cpu", "cpuacct", "cpuset", "blkio", "devices", "freezer", "systemd", "unified"];

describe.skipIf(!isRoot)("oci runtime (conmon + runc)", () => {
  let tmp: string;
  let rt: OciRuntime;
  let runtimeRoot: string;
  let exitDir: string;
  const ids: string[] = [];
  const heard: { verb: string; seconds: number }[] = [];

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-rt-"));
    runtimeRoot = path.join(tmp, "runc");
    exitDir = path.join(tmp, "exits");
    rt = createOciRuntime({
      handler: "runc",
      runtimePath: "/usr/sbin/runc",
      runtimeRoot,
      conmonPath: "/usr/bin/conmon",
      systemdCgroup: false,
      exitDir,
      socketDir: path.join(tmp, "s"),
      execFifoStart: true,
      observe: (verb, seconds) => heard.push({ verb, seconds }),
    });
  });

  afterAll(async () => {
    for (const id of ids) {
      Bun.spawnSync(["runc", "--root", runtimeRoot, "delete", "--force", id]);
    }
    for (const c of CONTROLLERS) {
      const base = `/sys/fs/cgroup/${c}/${CGROUP_PARENT}`;
      if (!fs.existsSync(base)) continue;
      for (const child of fs.readdirSync(base, { withFileTypes: true })) {
        if (child.isDirectory()) fs.rmdirSync(path.join(base, child.name));
      }
      fs.rmdirSync(base);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** A container dir with a bundle running `sh -c script`. */
  function bundle(name: string, script: string, extra: { memoryLimitBytes?: number } = {}) {
    const id = `${name}-${process.pid}`;
    ids.push(id);
    const dir = path.join(tmp, id);
    fs.mkdirSync(dir);
    writeBundle(dir, { args: ["sh", "-c", script], cgroupsPath: `/${CGROUP_PARENT}/${id}`, ...extra });
    return { id, dir, logPath: path.join(tmp, "logs", `${id}.log`) };
  }

  async function waitUntil(cond: () => boolean, ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > until) throw new Error("timed out");
      await Bun.sleep(20);
    }
  }

  async function createAndStart(name: string, script: string, extra: { memoryLimitBytes?: number } = {}) {
    const b = bundle(name, script, extra);
    const created = await rt.create({ ...b, tty: false, stdin: false, stdinOnce: false });
    await rt.start(b.id);
    return { ...b, ...created };
  }

  test("a container goes created, running, exits with its code, and its output lands in the CRI log", async () => {
    const b = bundle("life", "echo hello; echo oops >&2; read x < /dev/null; sleep 1; exit 3");
    heard.length = 0;
    const before = BigInt(Date.now()) * 1_000_000n;
    const { pid, conmonPid } = await rt.create({ ...b, tty: false, stdin: false, stdinOnce: false });
    expect(pid).toBeGreaterThan(0);
    expect(await rt.state(b.id)).toEqual({ status: "created", pid });
    // conmon is not our child: the container outlives this process
    const ppid = /^PPid:\s*(\d+)$/m.exec(fs.readFileSync(`/proc/${conmonPid}/status`, "utf8"))?.[1];
    expect(Number(ppid)).not.toBe(process.pid);
    expect(await rt.exitInfo(b.id, b.dir)).toBeUndefined();
    await rt.start(b.id);
    expect((await rt.state(b.id))?.status).toBe("running");
    const exit = await rt.waitExit(b.id, b.dir, AbortSignal.timeout(10_000));
    expect(exit.exitCode).toBe(3);
    expect(exit.oomKilled).toBe(false);
    expect(exit.finishedAt).toBeGreaterThanOrEqual(before);
    expect(exit.finishedAt).toBeLessThanOrEqual(BigInt(Date.now()) * 1_000_000n + 1_000_000_000n);
    expect(await rt.exitInfo(b.id, b.dir)).toEqual(exit);
    expect((await rt.state(b.id))?.status).toBe("stopped");
    const lines = parseCriLog(fs.readFileSync(b.logPath, "utf8"));
    expect(lines.map((l) => [l.stream, l.partial, l.content])).toEqual([
      ["stdout", false, "hello"],
      ["stderr", false, "oops"],
    ]);
    for (const l of lines) expect(l.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+/);
    await rt.delete(b.id);
    expect(await rt.state(b.id)).toBeUndefined();
    await rt.delete(b.id); // idempotent
    // Each runtime call was timed for the metrics, conmon's create included.
    expect(heard.map((h) => h.verb)).toEqual(["create", "state", "start", "state", "state", "delete", "state", "delete"]);
    for (const h of heard) expect(h.seconds).toBeGreaterThan(0);
  }, 30_000);

  test("start with the init's pid goes through runc's exec fifo: no runc start runs, the process runs and runc reports it running", async () => {
    const b = bundle("fifo", "echo started; sleep 1000");
    const { pid } = await rt.create({ ...b, tty: false, stdin: false, stdinOnce: false });
    expect(fs.existsSync(path.join(runtimeRoot, b.id, "exec.fifo"))).toBe(true);
    heard.length = 0;
    await rt.start(b.id, pid);
    // Timed as a start for the metrics, with no runtime process behind it (a `runc start` would be a second call).
    expect(heard.map((h) => h.verb)).toEqual(["start"]);
    expect(fs.existsSync(path.join(runtimeRoot, b.id, "exec.fifo"))).toBe(false);
    expect((await rt.state(b.id))?.status).toBe("running");
    await waitUntil(() => fs.existsSync(b.logPath) && fs.readFileSync(b.logPath, "utf8").includes("started"));
    expect(fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0]).toBe("sleep");
    await rt.stop(b.id, "KILL", 0, b.dir);
    await rt.delete(b.id, true);
  }, 30_000);

  test("stop SIGKILLs a process that ignores SIGTERM once the timeout passes", async () => {
    const c = await createAndStart("stubborn", "trap '' TERM; sleep 1000 & wait");
    const t0 = Date.now();
    const exit = await rt.stop(c.id, "TERM", 1500, c.dir);
    const took = Date.now() - t0;
    expect(exit?.exitCode).toBe(137);
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(10_000);
    // idempotent: a second stop returns the same exit at once
    expect(await rt.stop(c.id, "TERM", 1500, c.dir)).toEqual(exit);
    await rt.delete(c.id, true);
  }, 30_000);

  test("stop with SIGTERM ends a cooperative process before the timeout", async () => {
    const c = await createAndStart("polite", "trap 'exit 7' TERM; while true; do sleep 0.1; done");
    await Bun.sleep(200);
    const t0 = Date.now();
    const exit = await rt.stop(c.id, "TERM", 10_000, c.dir);
    expect(exit?.exitCode).toBe(7);
    expect(Date.now() - t0).toBeLessThan(5000);
    await rt.delete(c.id, true);
  }, 30_000);

  test("kill of an exited container and stop/delete of an unknown one are not errors", async () => {
    const c = await createAndStart("quick", "exit 0");
    await rt.waitExit(c.id, c.dir, AbortSignal.timeout(10_000));
    await rt.kill(c.id, "TERM");
    await rt.delete(c.id);
    expect(await rt.stop("never-was", "TERM", 100)).toBeUndefined();
    await rt.delete("never-was", true);
    expect(await rt.state("never-was")).toBeUndefined();
  }, 30_000);

  test("execSync separates stdout and stderr and returns the exit code", async () => {
    const c = await createAndStart("execs", "sleep 1000");
    const r = await rt.execSync(c.id, c.dir, { args: ["sh", "-c", "echo out1; echo err1 >&2; printf tail; exit 4"] }, 0, 1 << 20);
    expect(new TextDecoder().decode(r.stdout)).toBe("out1\ntail");
    expect(new TextDecoder().decode(r.stderr)).toBe("err1\n");
    expect(r.exitCode).toBe(4);
    expect(r.timedOut).toBe(false);

    const env = await rt.execSync(c.id, c.dir, { args: ["sh", "-c", "echo $FOO; pwd; id -u"], env: ["FOO=bar", "PATH=/bin"], cwd: "/tmp", user: { uid: 1000, gid: 1000 } }, 5000, 1 << 20);
    expect(new TextDecoder().decode(env.stdout)).toBe("bar\n/tmp\n1000\n");
    expect(env.exitCode).toBe(0);

    const big = await rt.execSync(c.id, c.dir, { args: ["sh", "-c", "head -c 5000 /dev/zero | tr '\\0' a"] }, 0, 100);
    expect(big.stdout.length).toBe(100);

    const t0 = Date.now();
    const slow = await rt.execSync(c.id, c.dir, { args: ["sleep", "10"] }, 1000, 1024);
    expect(slow.timedOut).toBe(true);
    expect(slow.exitCode).toBe(-1);
    expect(Date.now() - t0).toBeLessThan(4000);
    // the timed-out sleep is gone: only the container's own `sleep 1000` is left
    const ps = await rt.execSync(c.id, c.dir, { args: ["sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"] }, 5000, 4096);
    const cmdlines = new TextDecoder().decode(ps.stdout);
    expect(cmdlines).toContain("sleep 1000 ");
    expect(cmdlines).not.toContain("sleep 10 ");

    await expect(rt.execSync(c.id, c.dir, { args: ["/no/such/binary"] }, 5000, 1024)).rejects.toThrow(/no\/such\/binary|no such file|not found/i);
    expect(fs.readdirSync(c.dir).filter((f) => f.startsWith("exec-"))).toEqual([]);
    await rt.stop(c.id, "KILL", 0, c.dir);
    await rt.delete(c.id, true);
  }, 60_000);

  test("a failed create leaves no runtime state, no conmon and no conmon files", async () => {
    const b = bundle("broken", "true");
    const spec = JSON.parse(fs.readFileSync(path.join(b.dir, "config.json"), "utf8"));
    spec.process.args = ["/bin/does-not-exist"];
    fs.writeFileSync(path.join(b.dir, "config.json"), JSON.stringify(spec));
    const err = await rt.create({ ...b, tty: false, stdin: false, stdinOnce: false }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(`create container "${b.id}"`);
    expect((err as Error).message).toMatch(/does-not-exist/);
    expect(await rt.state(b.id)).toBeUndefined();
    expect(fs.existsSync(path.join(runtimeRoot, b.id))).toBe(false);
    expect(fs.existsSync(path.join(b.dir, "conmon.pid"))).toBe(false);
    expect(fs.existsSync(path.join(b.dir, "attach"))).toBe(false);
    const conmons = Bun.spawnSync(["pgrep", "-f", `conmon.* -c ${b.id} `]).stdout.toString().trim();
    expect(conmons).toBe("");
  }, 30_000);

  test("update changes the container's cgroup limits", async () => {
    const c = await createAndStart("upd", "sleep 1000");
    await rt.update(c.id, { memory: { limit: 64 * 1024 * 1024, swap: 64 * 1024 * 1024 } });
    const limit = fs.readFileSync(`/sys/fs/cgroup/memory/${CGROUP_PARENT}/${c.id}/memory.limit_in_bytes`, "utf8").trim();
    expect(Number(limit)).toBe(64 * 1024 * 1024);
    await rt.stop(c.id, "KILL", 0, c.dir);
    await rt.delete(c.id, true);
  }, 30_000);

  test("a container killed by the OOM killer exits 137, and conmon's marker or the cgroup's count says OOM", async () => {
    const b = bundle("oom", "dd if=/dev/zero bs=64M count=1 of=/dev/null", { memoryLimitBytes: 8 * 1024 * 1024 });
    const created = await rt.create({ ...b, tty: false, stdin: false, stdinOnce: false });
    // Taken while the process lives, as the container manager does at create.
    const cg = memoryCgroupOf(created.pid);
    expect(cg).toBeDefined();
    await rt.start(b.id);
    const exit = await rt.waitExit(b.id, b.dir, AbortSignal.timeout(20_000));
    expect(exit.exitCode).toBe(137);
    // conmon's `oom` marker can lose the race with the exit on cgroup v1; the count cannot.
    expect(oomKillCount(cg!)).toBeGreaterThan(0);
    await rt.delete(b.id, true);
  }, 30_000);
});
