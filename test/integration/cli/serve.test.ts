/** `skiff serve` as an operator sees it: the socket, signals, crashes, restarts, bad config. */
import { afterEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type Daemon, runCli, startDaemon, writeConfig } from "../harness.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});
async function started(opts?: Parameters<typeof startDaemon>[0]): Promise<Daemon> {
  const d = await startDaemon(opts);
  cleanups.push(async () => {
    if (d.proc.exitCode === null) await d.kill();
    fs.rmSync(d.dir, { recursive: true, force: true });
  });
  return d;
}

describe("the socket", () => {
  test("is created with its directory and mode 0660", async () => {
    const d = await started();
    const st = fs.statSync(d.socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
  });

  test("takes the configured group", async () => {
    const d = await started();
    await d.stop();
    const text = fs.readFileSync(d.configPath, "utf8").replace("[server]\n", '[server]\nsocket_group = "daemon"\n');
    fs.writeFileSync(d.configPath, text);
    const again = await started({ reuseDir: d.dir });
    expect(fs.statSync(again.socket).gid).toBe(1); // Debian's "daemon" group
  });

  test("a second server on the same socket is refused with a clear error and exit code 1", async () => {
    const d = await started();
    const r = await runCli(["serve", "--config", d.configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("already listening");
    await d.runtime.call("Version", {}); // the first one is unharmed
  });

  test("a path that is not a socket is never replaced", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-it-"));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const configPath = writeConfig(dir);
    fs.mkdirSync(path.join(dir, "run"));
    fs.writeFileSync(path.join(dir, "run/skiff.sock"), "precious");
    const r = await runCli(["serve", "--config", configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("is not a socket");
    expect(fs.readFileSync(path.join(dir, "run/skiff.sock"), "utf8")).toBe("precious");
  });
});

describe("JavaScriptCore settings", () => {
  const environ = (pid: number) => fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");

  test("the daemon starts itself over in place with the FTL tier off, and says so", async () => {
    const d = await started();
    // Same pid: the process the caller started (and a service manager watches) is the daemon.
    expect(environ(d.proc.pid)).toContain("BUN_JSC_useFTLJIT=0");
    expect(fs.readFileSync(`/proc/${d.proc.pid}/cmdline`, "utf8").split("\0")).toContain(d.configPath);
    expect(d.output()).toContain("JavaScriptCore: BUN_JSC_useFTLJIT=0");
    expect(await d.stop()).toBe(0);
  });

  test("a setting the operator's environment names is kept", async () => {
    const d = await started({ env: { BUN_JSC_useFTLJIT: "1" } });
    expect(environ(d.proc.pid)).toContain("BUN_JSC_useFTLJIT=1");
    expect(d.output()).toContain("JavaScriptCore: BUN_JSC_useFTLJIT=1");
  });
});

describe("stopping", () => {
  test("SIGTERM exits 0 and removes the socket", async () => {
    const d = await started();
    expect(await d.stop()).toBe(0);
    expect(fs.existsSync(d.socket)).toBe(false);
    expect(d.output()).toContain("shutting down");
  });

  test("after kill -9 a restart replaces the stale socket and keeps stored state", async () => {
    const d = await started();
    await d.runtime.call("UpdateRuntimeConfig", { runtime_config: { network_config: { pod_cidr: "10.99.0.0/16" } } });
    await d.kill();
    expect(fs.statSync(d.socket).isSocket()).toBe(true); // left behind by the crash
    const again = await started({ reuseDir: d.dir });
    const s = await again.runtime.call<any>("Status", { verbose: true });
    expect(JSON.parse(s.info.network).podCidr).toBe("10.99.0.0/16");
  });
});

describe("bad config", () => {
  const cases = [
    { desc: "an unknown key is named with its line", toml: "[server]\nsockett = \"/x\"\n", want: ["server.sockett", ":2"] },
    { desc: "a wrong type is named with its line", toml: "\n\n[image]\npull_concurrency = \"three\"\n", want: ["image.pull_concurrency", ":4"] },
    { desc: "a TOML syntax error is reported", toml: "[server\n", want: ["config.toml"] },
  ];
  for (const tc of cases) {
    test(`serve refuses to start: ${tc.desc}`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-it-"));
      cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
      const file = path.join(dir, "config.toml");
      fs.writeFileSync(file, tc.toml);
      const r = await runCli(["serve", "--config", file]);
      expect(r.code).toBe(1);
      for (const w of tc.want) expect(r.stderr).toContain(w);
    });
  }
});

describe("metrics", () => {
  test("metrics_address serves Prometheus text with per-RPC counts", async () => {
    const d = await started({ extraConfig: "" });
    await d.stop();
    const text = fs.readFileSync(d.configPath, "utf8").replace("[server]\n", '[server]\nmetrics_address = "127.0.0.1:0"\n');
    fs.writeFileSync(d.configPath, text);
    const again = await started({ reuseDir: d.dir });
    await again.runtime.call("Version", {});
    await again.runtime.call("CheckpointContainer", {}).catch(() => {});
    const url = /metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(again.output())?.[1];
    expect(url).toBeDefined();
    const body = await (await fetch(url as string)).text();
    expect(body).toContain('skiff_cri_requests_total{method="Version",code="OK"}');
    expect(body).toContain('skiff_cri_requests_total{method="CheckpointContainer",code="Unimplemented"} 1');
    expect((await fetch((url as string).replace("/metrics", "/other"))).status).toBe(404);
  });
});
