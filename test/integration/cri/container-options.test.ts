/**
 * Container options that need a real kernel to prove: privileged mode with the host's
 * devices, a terminal, an open stdin, and mount propagation in both directions. The pods
 * use the host network, so no CNI is involved.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { pushPodImages, type PodImages } from "../../support/pod-images.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { type Daemon, isRoot, startDaemon } from "../harness.ts";
import { containerConfig, mountsUnder, podConfig, removePodsAndStop, waitFor } from "./pod-fixtures.ts";

let reg: TestRegistry;
let images: PodImages;
let d: Daemon;
let work: string;

const call = <T = any>(method: string, req: object = {}, ms = 60_000) => d.runtime.call<T>(method, req, ms);
const hostNetwork = (extra: Record<string, unknown> = {}) => ({
  linux: { security_context: { namespace_options: { network: "NODE" }, ...extra } },
});

/**
 * Runs a host-network pod (privileged when asked) with one started container; the
 * container's security context joins the pod's host network, as the kubelet's would.
 */
async function podWith(name: string, container: Record<string, unknown>, privileged = false, security: Record<string, unknown> = {}) {
  const config = podConfig(name, path.join(work, "logs", name), hostNetwork(privileged ? { privileged: true } : {}));
  const pod = (await call("RunPodSandbox", { config })).pod_sandbox_id as string;
  const sc = { ...(privileged ? { privileged: true } : {}), namespace_options: { network: "NODE" }, ...security };
  const c = await call("CreateContainer", {
    pod_sandbox_id: pod,
    config: containerConfig(name, images.busybox, "sleep 1000", { ...container, linux: { security_context: sc } }),
    sandbox_config: config,
  });
  await call("StartContainer", { container_id: c.container_id });
  return { pod, id: c.container_id as string, logPath: path.join(work, "logs", name, `${name}/0.log`) };
}

async function exec(id: string, cmd: string[]) {
  const r = await call("ExecSync", { container_id: id, cmd, timeout: 10 });
  return { code: r.exit_code as number, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
}

function sh(cmd: string[]): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr.toString()}`);
  return p.stdout.toString();
}

const capLine = (status: string, name: string) => new RegExp(`^${name}:\\s*([0-9a-f]+)$`, "m").exec(status)?.[1];

describe.skipIf(!isRoot)("container options on a real kernel", () => {
  beforeAll(async () => {
    reg = await startRegistry();
    images = await pushPodImages(reg.host);
    work = fs.mkdtempSync("/tmp/skiff-ctr-opts-");
    d = await startDaemon();
    await d.image.call("PullImage", { image: { image: images.busybox } }, 60_000);
  }, 120_000);

  afterAll(async () => {
    try {
      if (d) await removePodsAndStop(d);
    } finally {
      await reg?.stop();
      if (work) {
        for (const m of mountsUnder(work).reverse()) Bun.spawnSync(["umount", "-l", m]);
        fs.rmSync(work, { recursive: true, force: true });
      }
      if (d) fs.rmSync(d.dir, { recursive: true, force: true });
    }
  }, 120_000);

  test("a privileged container has every capability the host has, the host's devices and a writable /sys", async () => {
    const c = await podWith("priv", {}, true);
    const inside = await exec(c.id, ["cat", "/proc/self/status"]);
    const host = fs.readFileSync("/proc/self/status", "utf8");
    expect(capLine(inside.out, "CapEff")).toBe(capLine(host, "CapBnd"));
    // Host devices an unprivileged container never gets.
    const devs = fs.readdirSync("/dev").filter((n) => ["kmsg", "loop-control", "mem"].includes(n));
    expect(devs.length).toBeGreaterThan(0);
    for (const n of devs) expect((await exec(c.id, ["test", "-e", `/dev/${n}`])).code).toBe(0);
    expect((await exec(c.id, ["grep", "-E", " /sys sysfs rw[ ,]", "/proc/self/mounts"])).code).toBe(0);

    const plain = await podWith("unpriv", {});
    const status = await exec(plain.id, ["cat", "/proc/self/status"]);
    expect(capLine(status.out, "CapEff")).not.toBe(capLine(host, "CapBnd"));
    for (const n of devs) expect((await exec(plain.id, ["test", "-e", `/dev/${n}`])).code).not.toBe(0);
  });

  /** The container's log once `want` shows up in it. */
  const logWith = (logPath: string, want: string) =>
    waitFor(`"${want}" in ${logPath}`, async () => {
      const text = fs.existsSync(logPath) ? fs.readFileSync(logPath, "utf8") : "";
      return text.includes(want) ? text : undefined;
    });

  test("supplemental groups: Merge adds the image's groups of the user, Strict only the asked-for ones; ContainerStatus tells which", async () => {
    expect((await call("Status", {})).features.supplemental_groups_policy).toBe(true);
    const groupsOf = async (policy: string) => {
      const c = await podWith(`groups-${policy.toLowerCase()}`, {}, false, { run_as_user: { value: 65534 }, supplemental_groups: [5555], supplemental_groups_policy: policy });
      const ids = (await exec(c.id, ["id", "-G"])).out.trim().split(" ").map(Number).sort((a, b) => a - b);
      const reported = (await call("ContainerStatus", { container_id: c.id })).status.user.linux.supplemental_groups.map(Number).sort((a: number, b: number) => a - b);
      return { ids, reported };
    };
    // nobody's own group 65534, the image's 4242 (nobody is a member), the asked-for 5555
    expect(await groupsOf("Merge")).toEqual({ ids: [4242, 5555, 65534], reported: [4242, 5555, 65534] });
    expect(await groupsOf("Strict")).toEqual({ ids: [5555, 65534], reported: [5555, 65534] });
  });

  test("a tty container runs on a terminal and its output reaches the CRI log", async () => {
    // ls is a child of the container's shell: its fd 1 is the one the shell was given.
    const c = await podWith("tty", { tty: true, command: ["sh", "-c", "if [ -t 1 ]; then echo on-a-tty; fi; ls -l /proc/self/fd/1; sleep 1000"] });
    const log = await logWith(c.logPath, "/dev/pts/");
    expect(log).toMatch(/^\S+ stdout F on-a-tty\r?$/m);
    expect(log).toMatch(/-> \/dev\/pts\/\d+\r?$/m);
  });

  test("stdin is an open pipe when asked for, /dev/null when not", async () => {
    const script = ["sh", "-c", "ls -l /proc/self/fd/0; sleep 1000"];
    const open = await podWith("stdin", { stdin: true, command: script });
    expect(await logWith(open.logPath, "->")).toMatch(/-> pipe:\[\d+\]$/m);
    const closed = await podWith("nostdin", { command: script });
    expect(await logWith(closed.logPath, "->")).toMatch(/-> \/dev\/null$/m);
  });

  test("a recursive read-only mount makes submounts read-only too, and Status says runc can", async () => {
    const st = await call("Status", {});
    expect(st.runtime_handlers.find((h: any) => h.name === "runc")?.features.recursive_read_only_mounts).toBe(true);
    const src = path.join(work, "rro");
    fs.mkdirSync(path.join(src, "sub"), { recursive: true });
    sh(["mount", "-t", "tmpfs", "rro-sub", path.join(src, "sub")]);
    const mount = (recursive: boolean) => ({ mounts: [{ container_path: "/mnt/r", host_path: src, readonly: true, recursive_read_only: recursive }] });
    const rro = await podWith("rro", mount(true));
    const ro = await podWith("ro", mount(false));
    const write = (id: string) => exec(id, ["sh", "-c", "echo x > /mnt/r/sub/f"]);
    const refused = await write(rro.id);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toContain("Read-only file system");
    // A plain read-only bind leaves the submount writable: the difference rro makes.
    expect((await write(ro.id)).code).toBe(0);
  });

  test("mount propagation: host-to-container sees the host's later mounts, private does not, bidirectional shows the container's to the host", async () => {
    const src = path.join(work, "shared");
    fs.mkdirSync(src);
    sh(["mount", "-t", "tmpfs", "propagation-test", src]);
    sh(["mount", "--make-shared", src]);
    const mount = (propagation: string) => ({ mounts: [{ container_path: "/mnt/p", host_path: src, propagation }] });
    const slave = await podWith("rslave", mount("PROPAGATION_HOST_TO_CONTAINER"));
    const priv = await podWith("rprivate", mount("PROPAGATION_PRIVATE"));
    const shared = await podWith("rshared", mount("PROPAGATION_BIDIRECTIONAL"), true);

    // A mount the host makes after the containers started.
    fs.mkdirSync(path.join(src, "late"));
    sh(["mount", "-t", "tmpfs", "late-mount", path.join(src, "late")]);
    fs.writeFileSync(path.join(src, "late", "f"), "from the host\n");
    expect((await exec(slave.id, ["cat", "/mnt/p/late/f"])).out).toBe("from the host\n");
    expect((await exec(shared.id, ["cat", "/mnt/p/late/f"])).out).toBe("from the host\n");
    expect((await exec(priv.id, ["cat", "/mnt/p/late/f"])).code).not.toBe(0);

    // A mount the bidirectional container makes shows up on the host.
    const made = await exec(shared.id, ["sh", "-c", "mkdir -p /mnt/p/back && mount -t tmpfs from-ctr /mnt/p/back && echo hi > /mnt/p/back/g"]);
    expect(made.err).toBe("");
    expect(made.code).toBe(0);
    expect(fs.readFileSync(path.join(src, "back", "g"), "utf8")).toBe("hi\n");
    // ...and from the host on to the host-to-container one, but not to the private one.
    expect((await exec(slave.id, ["cat", "/mnt/p/back/g"])).out).toBe("hi\n");
    expect((await exec(priv.id, ["cat", "/mnt/p/back/g"])).code).not.toBe(0);
  });
});
