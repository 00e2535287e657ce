/**
 * `skiff install`, `uninstall` and `doctor` run as the compiled binary, into fresh temp
 * trees (`--root`), never onto this host's /etc, /usr/local/bin or systemd.
 */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDynamicElf } from "../../../src/doctor/read-facts.ts";
import { freePort } from "../../support/registry.ts";
import { REPO, isRoot, runCli, skiffBinary, writeConfig } from "../harness.ts";

const trees: string[] = [];
function tree(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-install-it-"));
  trees.push(dir);
  return dir;
}
afterAll(() => {
  for (const t of trees) fs.rmSync(t, { recursive: true, force: true });
});

const files = (root: string): string[] =>
  fs.readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()).map((e) => path.relative(root, path.join(e.parentPath, e.name))).sort();

const INSTALLED = ["etc/cni/net.d/10-skiff.conflist", "etc/crictl.yaml", "etc/skiff/config.toml", "etc/systemd/system/skiff.service", "usr/local/bin/skiff", "var/lib/skiff/install-manifest.json"];

describe("skiff install --root", () => {
  test("--dry-run lists every file and changes nothing", async () => {
    const root = tree();
    const r = await runCli(["install", "--root", root, "--dry-run"]);
    expect(r.code).toBe(0);
    for (const f of INSTALLED) expect(r.stdout).toContain(`/${f}`);
    expect(r.stdout).toContain("doctor: skipped");
    expect(fs.readdirSync(root)).toEqual([]);
  });

  test("writes the binary, unit, config, crictl.yaml, network and record; the installed skiff runs and its config checks out", async () => {
    const root = tree();
    const r = await runCli(["install", "--root", root]);
    expect(r.code).toBe(0);
    expect(files(root)).toEqual(INSTALLED);
    const bin = path.join(root, "usr/local/bin/skiff");
    expect(fs.readFileSync(bin).equals(fs.readFileSync(skiffBinary()))).toBe(true);
    const installed = Bun.spawnSync([bin, "--version"]);
    expect(installed.stdout.toString().trim()).toMatch(/^\d+\.\d+\.\d+/);
    const unit = fs.readFileSync(path.join(root, "etc/systemd/system/skiff.service"), "utf8");
    expect(unit).toContain("ExecStart=/usr/local/bin/skiff serve\n");
    expect(unit).toContain("KillMode=process\n");
    expect(fs.readFileSync(path.join(root, "etc/crictl.yaml"), "utf8")).toContain("runtime-endpoint: unix:///run/skiff/skiff.sock");
    const check = await runCli(["config", "check", path.join(root, "etc/skiff/config.toml"), "--no-host"]);
    expect(check.code).toBe(0);
  });

  test("an existing config and someone else's crictl.yaml are kept; --force replaces crictl.yaml and uninstall puts it back", async () => {
    const root = tree();
    fs.mkdirSync(path.join(root, "etc/skiff"), { recursive: true });
    fs.writeFileSync(path.join(root, "etc/skiff/config.toml"), '[server]\nsocket = "/run/other/skiff.sock"\n');
    fs.writeFileSync(path.join(root, "etc/crictl.yaml"), "runtime-endpoint: unix:///run/containerd/containerd.sock\n");

    let r = await runCli(["install", "--root", root, "--prefix", "/opt/skiff"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/keep +\/etc\/crictl\.yaml: it is not skiff's/);
    expect(fs.readFileSync(path.join(root, "etc/crictl.yaml"), "utf8")).toContain("containerd.sock");
    expect(fs.existsSync(path.join(root, "opt/skiff/bin/skiff"))).toBe(true);

    r = await runCli(["install", "--root", root, "--prefix", "/opt/skiff", "--force"]);
    expect(r.code).toBe(0);
    // The existing config decides the socket crictl is pointed at.
    expect(fs.readFileSync(path.join(root, "etc/crictl.yaml"), "utf8")).toContain("runtime-endpoint: unix:///run/other/skiff.sock");
    expect(fs.readFileSync(path.join(root, "etc/crictl.yaml.before-skiff"), "utf8")).toContain("containerd.sock");

    r = await runCli(["uninstall", "--root", root]);
    expect(r.code).toBe(0);
    expect(files(root)).toEqual(["etc/crictl.yaml", "etc/skiff/config.toml"]);
    expect(fs.readFileSync(path.join(root, "etc/crictl.yaml"), "utf8")).toContain("containerd.sock");
    expect(fs.readFileSync(path.join(root, "etc/skiff/config.toml"), "utf8")).toContain("/run/other/skiff.sock");
  });

  test("uninstall keeps a config edited since install and the data under paths.root", async () => {
    const root = tree();
    expect((await runCli(["install", "--root", root])).code).toBe(0);
    fs.appendFileSync(path.join(root, "etc/skiff/config.toml"), "# the operator's edit\n");
    fs.writeFileSync(path.join(root, "var/lib/skiff/skiff.db"), "not install's");
    const r = await runCli(["uninstall", "--root", root]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/keep +\/etc\/skiff\/config\.toml: changed since install/);
    expect(files(root)).toEqual(["etc/skiff/config.toml", "var/lib/skiff/skiff.db"]);
    const again = await runCli(["uninstall", "--root", root]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("no install record");
  });

  test.skipIf(!isRoot)("--purge is refused while a mount is under paths.root, and removes the data once it is gone", async () => {
    const root = tree();
    expect((await runCli(["install", "--root", root])).code).toBe(0);
    const pin = path.join(root, "var/lib/skiff/containers/c1/rootfs");
    fs.mkdirSync(pin, { recursive: true });
    expect(Bun.spawnSync(["mount", "-t", "tmpfs", "tmpfs", pin]).exitCode).toBe(0);
    try {
      const r = await runCli(["uninstall", "--root", root, "--purge"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("refusing to purge: 1 mount(s)");
      expect(files(root)).toEqual(INSTALLED);
    } finally {
      Bun.spawnSync(["umount", pin]);
    }
    const r = await runCli(["uninstall", "--root", root, "--purge"]);
    expect(r.code).toBe(0);
    expect(fs.existsSync(path.join(root, "var/lib/skiff"))).toBe(false);
    expect(files(root)).toEqual([]);
  });

  test("--dry-run on this host runs the doctor, prints the plan, and stops (exit 1) only where the doctor fails", async () => {
    const marker = "/var/lib/skiff/install-manifest.json";
    const before = fs.existsSync(marker);
    const doctor = JSON.parse((await runCli(["doctor", "--json"], { SKIFF_CONFIG: "" })).stdout);
    const r = await runCli(["install", "--dry-run"]);
    expect(r.stdout).toContain("doctor (config: ");
    expect(r.stdout).toMatch(/write +\/usr\/local\/bin\/skiff \(0755\)/);
    expect(r.code).toBe(doctor.ok ? 0 : 1);
    if (!doctor.ok) expect(r.stderr).toContain("--ignore-checks");
    expect(fs.existsSync(marker)).toBe(before);
  });

  test("install refuses to run from source, where there is no executable to copy", async () => {
    const root = tree();
    const p = Bun.spawnSync([process.execPath, path.join(REPO, "src/main.ts"), "install", "--root", root], { stdout: "pipe", stderr: "pipe" });
    expect(p.exitCode).toBe(2);
    expect(p.stderr.toString()).toContain("copies the running executable");
  });
});

describe("skiff doctor", () => {
  test("--json on this host: every check has a status, a required failure gives exit code 1 and names the fix", async () => {
    const dir = tree();
    const good = writeConfig(dir);
    const ok = await runCli(["doctor", "--json", "--config", good]);
    const doc = JSON.parse(ok.stdout);
    expect(doc.checks.map((c: any) => c.id)).toEqual(expect.arrayContaining(["runtime.runc", "conmon", "infra", "cgroup", "overlay", "cni.config", "iptables", "socket", "disk", "clock"]));
    for (const c of doc.checks) expect(["ok", "warn", "fail", "skip"]).toContain(c.status);
    expect(ok.code).toBe(doc.ok ? 0 : 1);

    const bad = path.join(dir, "bad.toml");
    fs.writeFileSync(bad, `${fs.readFileSync(good, "utf8")}\n[linux]\nconmon_path = "/nonexistent/conmon"\n`);
    const r = await runCli(["doctor", "--json", "--config", bad]);
    expect(r.code).toBe(1);
    const conmon = JSON.parse(r.stdout).checks.find((c: any) => c.id === "conmon");
    expect(conmon).toMatchObject({ status: "fail", message: expect.stringContaining("/nonexistent/conmon"), fix: expect.stringContaining("apt-get install conmon") });
  });

  test("a mirror that answers (401 counts) is reachable, one on a closed port is not", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response("", { status: new URL(req.url).pathname === "/v2/" ? 401 : 404 }) });
    try {
      const closed = freePort();
      const mirrors = `\n[registry.mirrors."docker.io"]\nendpoints = ["http://127.0.0.1:${server.port}", "http://127.0.0.1:${closed}"]\n`;
      const r = await runCli(["doctor", "--json", "--config", writeConfig(tree(), mirrors)]);
      const probes = JSON.parse(r.stdout).checks.filter((c: any) => c.id === "registry.mirror");
      expect(probes.map((c: any) => c.status)).toEqual(["ok", "warn"]);
      expect(probes[0].message).toContain("HTTP 401");
      expect(probes[1].message).toContain(`127.0.0.1:${closed}`);
    } finally {
      server.stop(true);
    }
  });

  test("the infra check tells a static binary (catatonit) from a dynamic one", () => {
    expect(isDynamicElf("/usr/bin/catatonit")).toBe(false);
    expect(isDynamicElf(fs.realpathSync("/bin/sh"))).toBe(true);
    expect(isDynamicElf("/etc/hostname")).toBeUndefined();
  });

  test("text output has one marked line per check and a count", async () => {
    const dir = tree();
    const r = await runCli(["doctor", "--config", writeConfig(dir)]);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toStartWith("config: ");
    expect(lines.slice(1, -1).every((l) => /^[✔⚠✖-] \S+ +\S/.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/^\d+ checks: \d+ ok, \d+ warnings, \d+ failed, \d+ skipped$/);
  });
});
