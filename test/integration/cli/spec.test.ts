/**
 * `skiff spec` as a user runs it: the compiled binary ($SKIFF_BIN, else
 * dist/skiff-linux-x64 when built, else `bun src/main.ts`) on crictl-style files. The
 * generated container spec is then run by the real runc with busybox-static, to show the
 * built-in seccomp profile is one runc accepts and that it confines.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const REPO = path.resolve(import.meta.dir, "../../..");
const DIST = path.join(REPO, "dist/skiff-linux-x64");

function skiffCommand(): string[] {
  if (process.env.SKIFF_BIN) return [process.env.SKIFF_BIN];
  if (fs.existsSync(DIST)) return [DIST];
  return [process.execPath, path.join(REPO, "src/main.ts")];
}

async function run(cmd: string[], cwd?: string) {
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe", cwd });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { stdout, stderr, code };
}

const pod = {
  metadata: { name: "web", namespace: "shop", uid: "uid-1", attempt: 1 },
  hostname: "web-0",
  log_directory: "/var/log/pods/shop_web_uid-1",
  linux: {
    cgroup_parent: "kubepods-besteffort-poduid1.slice",
    resources: { cpu_period: 100000, cpu_quota: 50000, memory_limit_in_bytes: 268435456 },
    security_context: { seccomp: { profile_type: "RuntimeDefault" } },
  },
};
const container = {
  metadata: { name: "app" },
  image: { image: "busybox" },
  args: ["-c", "echo hi"],
  envs: [{ key: "MODE", value: "prod" }],
  linux: { security_context: { seccomp: { profile_type: "RuntimeDefault" } } },
};
const imageConfig = {
  architecture: "amd64",
  os: "linux",
  config: { Env: ["PATH=/bin"], Entrypoint: ["/bin/sh"], Cmd: ["-c", "true"] },
  rootfs: { type: "layers", diff_ids: [] },
};

describe.skipIf(process.getuid?.() !== 0)("skiff spec", () => {
  let dir = "";
  const files: Record<string, string> = {};
  const skiff = (...args: string[]) => run([...skiffCommand(), "spec", "--config", files.config as string, ...args]);
  const runcIds: string[] = [];

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-spec-it-"));
    const write = (name: string, content: unknown) => {
      files[name] = path.join(dir, name);
      fs.writeFileSync(files[name] as string, typeof content === "string" ? content : JSON.stringify(content));
    };
    write("config", `[paths]\nroot = "${dir}/root"\nstate = "${dir}/state"\n`);
    write("pod.json", pod);
    write("ctr.json", container);
    write("image.json", imageConfig);
    write("bad-mount.json", { ...container, mounts: [{ container_path: "/data", host_path: "data" }] });
    write("base.json", { ociVersion: "1.0.2", process: { user: { uid: 0, gid: 0 }, cwd: "/", env: ["FROM_BASE=1"] } });
  });

  afterAll(async () => {
    for (const id of runcIds) await run(["runc", "delete", "-f", id]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test("without --container it prints the sandbox spec", async () => {
    const r = await skiff("--pod", files["pod.json"] as string, "--cgroup-driver", "cgroupfs");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(spec.annotations["io.kubernetes.cri.container-type"]).toBe("sandbox");
    expect(spec.annotations["io.kubernetes.cri.sandbox-memory"]).toBe("268435456");
    expect(spec.annotations["io.kubernetes.cri.sandbox-cpu-quota"]).toBe("50000");
    expect(spec.hostname).toBe("web-0");
    expect(spec.process.args).toEqual(["/catatonit", "-P"]);
    expect(spec.linux.seccomp.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(spec.linux.namespaces).toContainEqual({ type: "network", path: `${dir}/state/ns/net/SANDBOX_ID` });
  });

  test("with --container and --image-config it prints the container spec", async () => {
    const r = await skiff("--pod", files["pod.json"] as string, "--container", files["ctr.json"] as string, "--image-config", files["image.json"] as string, "--cgroup-driver", "systemd");
    expect(r.code).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(spec.process.args).toEqual(["/bin/sh", "-c", "echo hi"]);
    expect(spec.process.env).toEqual(["PATH=/bin", "HOSTNAME=web-0", "MODE=prod"]);
    expect(spec.linux.cgroupsPath).toBe("kubepods-besteffort-poduid1.slice:skiff:CONTAINER_ID");
    expect(spec.linux.seccomp.defaultErrnoRet).toBe(1);
    expect(spec.hostname).toBeUndefined();
  });

  test("--base replaces the built-in base", async () => {
    const r = await skiff("--pod", files["pod.json"] as string, "--container", files["ctr.json"] as string, "--image-config", files["image.json"] as string, "--base", files["base.json"] as string);
    expect(r.code).toBe(0);
    const spec = JSON.parse(r.stdout);
    expect(spec.ociVersion).toBe("1.0.2");
    expect(spec.process.env).toContain("FROM_BASE=1");
  });

  test("--explain lists each option and the fields it set, as text or JSON", async () => {
    const args = ["--pod", files["pod.json"] as string, "--container", files["ctr.json"] as string, "--image-config", files["image.json"] as string, "--explain"];
    const text = await skiff(...args);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^withSeccomp\s+linux\.seccomp$/m);
    expect(text.stdout).toMatch(/^withArgs\s+process\.args$/m);
    const json = await skiff(...args, "-o", "json");
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toContainEqual({ opt: "withCgroupsPath", changed: ["linux.cgroupsPath"] });
  });

  const failures = [
    { desc: "a mount with a relative host path exits 1 naming the field", args: () => ["--pod", files["pod.json"], "--container", files["bad-mount.json"]], code: 1, msg: "config.mounts[0].host_path" },
    { desc: "an unknown handler exits 1 naming it", args: () => ["--pod", files["pod.json"], "--handler", "nope"], code: 1, msg: 'runtime handler "nope"' },
    { desc: "a pod file that is not JSON exits 1 naming the flag", args: () => ["--pod", files.config], code: 1, msg: "--pod" },
    { desc: "a missing --pod exits 2", args: () => [], code: 2, msg: "missing --pod" },
    { desc: "an unknown flag exits 2", args: () => ["--pod", files["pod.json"], "--podd", "x"], code: 2, msg: "--podd" },
    { desc: "a bad output format exits 2", args: () => ["--pod", files["pod.json"], "-o", "table"], code: 2, msg: "-o must be json or yaml" },
  ];
  for (const tc of failures) {
    test(tc.desc, async () => {
      const r = await skiff(...(tc.args() as string[]));
      expect(r.code).toBe(tc.code);
      expect(r.stderr).toContain(tc.msg);
    });
  }

  test("runc runs the generated container spec and its seccomp profile confines", async () => {
    const busybox = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));
    expect(busybox).toBeDefined();
    const r = await skiff("--pod", files["pod.json"] as string, "--container", files["ctr.json"] as string, "--image-config", files["image.json"] as string);
    expect(r.code).toBe(0);
    const spec = JSON.parse(r.stdout);
    // Only what exists at run time is swapped for this bundle: new namespaces instead of
    // the pod's, no pod-file bind mounts, no cgroup placement.
    spec.linux.namespaces = ["pid", "ipc", "uts", "mount", "network"].map((type) => ({ type }));
    spec.mounts = spec.mounts.filter((m: { type: string }) => m.type !== "bind");
    delete spec.linux.cgroupsPath;
    spec.process.args = ["/bin/sh", "-c", "grep Seccomp: /proc/self/status; ls / >/dev/null && echo ls-ok; unshare -U true && echo userns-ok || echo userns-refused"];
    const bundle = path.join(dir, "bundle");
    for (const d of ["bin", "proc", "dev", "sys", "tmp"]) fs.mkdirSync(path.join(bundle, "rootfs", d), { recursive: true });
    fs.copyFileSync(busybox as string, path.join(bundle, "rootfs/bin/busybox"));
    fs.chmodSync(path.join(bundle, "rootfs/bin/busybox"), 0o755);
    for (const applet of ["sh", "grep", "ls", "unshare", "true"]) fs.symlinkSync("busybox", path.join(bundle, "rootfs/bin", applet));

    const runOnce = async (seccomp: unknown) => {
      const id = `skiff-spec-it-${process.pid}-${runcIds.length}`;
      runcIds.push(id);
      fs.writeFileSync(path.join(bundle, "config.json"), JSON.stringify({ ...spec, linux: { ...spec.linux, seccomp } }));
      return run(["runc", "run", id], bundle);
    };
    const confined = await runOnce(spec.linux.seccomp);
    expect(confined.code).toBe(0);
    // EPERM, the profile's errno (the kernel itself would allow this unprivileged call).
    expect(confined.stderr).toContain("unshare(0x10000000): Operation not permitted");
    expect(confined.stdout).toMatch(/Seccomp:\s+2/);
    expect(confined.stdout).toContain("ls-ok");
    expect(confined.stdout).toContain("userns-refused");
    // The same container without the profile may make a user namespace: the refusal was seccomp's.
    const unconfined = await runOnce(undefined);
    expect(unconfined.code).toBe(0);
    expect(unconfined.stdout).toContain("userns-ok");
  });
});
