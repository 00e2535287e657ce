/** The client verbs and the exit-code contract: 0 ok, 1 error, 2 usage. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import pkg from "../../../package.json" with { type: "json" };
import { type Daemon, runCli, startDaemon } from "../harness.ts";

let d: Daemon;
let endpoint: string;
beforeAll(async () => {
  d = await startDaemon();
  endpoint = `unix://${d.socket}`;
});
afterAll(async () => {
  await d?.stop();
  if (d) fs.rmSync(d.dir, { recursive: true, force: true });
});

describe("client verbs", () => {
  test("version --endpoint -o json shows client and runtime versions", async () => {
    const r = await runCli(["version", "--endpoint", endpoint, "-o", "json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.client.version).toBe(pkg.version);
    expect(out.runtime).toMatchObject({ runtimeName: "skiff", runtimeApiVersion: "v1" });
  });

  test("the endpoint can come from SKIFF_ENDPOINT", async () => {
    const r = await runCli(["version", "-o", "json"], { SKIFF_ENDPOINT: endpoint });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).runtime.runtimeName).toBe("skiff");
  });

  test("info -o yaml shows the conditions and the config", async () => {
    const r = await runCli(["info", "--endpoint", endpoint, "-o", "yaml"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("RuntimeReady");
    expect(r.stdout).toContain(d.socket);
  });

  test("info as a table shows dotted keys", async () => {
    const r = await runCli(["info", "--endpoint", endpoint]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/status\.conditions\[0\]\.type\s+RuntimeReady/);
  });

  test("--version prints the version alone", async () => {
    const r = await runCli(["--version"]);
    expect(r.stdout.trim()).toBe(pkg.version);
  });
});

describe("exit codes", () => {
  const cases = [
    { desc: "an unreachable endpoint the user named exits 1", args: ["version", "--endpoint", "unix:///nonexistent/x.sock"], code: 1 },
    { desc: "an unknown command exits 2", args: ["frobnicate"], code: 2 },
    { desc: "a bad --output value exits 2", args: ["version", "-o", "xml"], code: 2 },
    { desc: "a malformed endpoint exits 1 naming the problem", args: ["info", "--endpoint", "tcp://1.2.3.4:5"], code: 1 },
    { desc: "no command at all prints usage and exits 2", args: [], code: 2 },
    { desc: "--help exits 0", args: ["--help"], code: 0 },
    { desc: "an unknown flag exits 2", args: ["version", "--bogus"], code: 2 },
    { desc: "an unexpected operand exits 2", args: ["info", "extra"], code: 2 },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      expect((await runCli(tc.args)).code).toBe(tc.code);
    });
  }
});

describe("config verbs", () => {
  test("config default prints a config that config check accepts", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-it-"));
    const r = await runCli(["config", "default"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("[runtimes.runc]");
    const file = path.join(dir, "config.toml");
    fs.writeFileSync(file, r.stdout);
    const check = await runCli(["config", "check", "--no-host", file]);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("ok");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("config check names the key and line of a mistake and exits 1", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-it-"));
    const file = path.join(dir, "bad.toml");
    fs.writeFileSync(file, "[paths]\nroot = \"relative/dir\"\n");
    const r = await runCli(["config", "check", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("paths.root");
    expect(r.stderr).toContain(`${file}:2`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
