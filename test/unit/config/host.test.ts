import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkHost, type Config, defaultConfig, type HostCheckResult } from "../../../src/config/index.ts";

let dir = "";
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "skiff-host-"));
  await writeFile(file("runc"), "#!/bin/sh\n");
  await chmod(file("runc"), 0o755);
  await writeFile(file("not-exec"), "#!/bin/sh\n");
  await chmod(file("not-exec"), 0o644);
  await writeFile(file("spec.json"), JSON.stringify({ ociVersion: "1.2.0", process: {} }));
  await writeFile(file("broken.json"), "{ not json");
  await writeFile(file("array.json"), "[]");
  await writeFile(file("no-version.json"), '{"process": {}}');
  await writeFile(file("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** The linux defaults with runc and crun pointed into the temp dir, then `patch` applied. */
function config(patch: (c: Config) => void): Config {
  const c = defaultConfig("linux");
  (c.runtimes.runc as NonNullable<typeof c.runtimes.runc>).runtimePath = file("runc");
  (c.runtimes.crun as NonNullable<typeof c.runtimes.crun>).runtimePath = file("runc");
  patch(c);
  return c;
}

const runc = (c: Config) => c.runtimes.runc as NonNullable<Config["runtimes"]["runc"]>;
const crun = (c: Config) => c.runtimes.crun as NonNullable<Config["runtimes"]["crun"]>;

describe("checkHost", () => {
  const cases: { desc: string; patch: (c: Config) => void; want: () => HostCheckResult }[] = [
    {
      desc: "a config whose files all exist passes with no errors or warnings",
      patch: (c) => {
        runc(c).baseRuntimeSpec = file("spec.json");
        c.registry.hosts["r:5000"] = { ...emptyHost(), caFile: file("ca.pem") };
      },
      want: () => ({ errors: [], warnings: [] }),
    },
    {
      desc: "a missing runtime_path of the default handler is an error",
      patch: (c) => (runc(c).runtimePath = file("absent")),
      want: () => ({ errors: [`runtimes.runc.runtime_path: "${file("absent")}" does not exist`], warnings: [] }),
    },
    {
      desc: "a runtime_path without the execute bit is an error",
      patch: (c) => (runc(c).runtimePath = file("not-exec")),
      want: () => ({ errors: [`runtimes.runc.runtime_path: "${file("not-exec")}" is not executable`], warnings: [] }),
    },
    {
      desc: "a runtime_path that is a directory is an error",
      patch: (c) => (runc(c).runtimePath = dir),
      want: () => ({ errors: [`runtimes.runc.runtime_path: "${dir}" is not a regular file`], warnings: [] }),
    },
    {
      desc: "a missing runtime_path of another handler is only a warning",
      patch: (c) => (crun(c).runtimePath = file("crun")),
      want: () => ({
        errors: [],
        warnings: [`runtimes.crun.runtime_path: "${file("crun")}" does not exist; pods using runtime handler "crun" will fail`],
      }),
    },
    {
      desc: "a missing runtime_path is an error for whichever handler is the default",
      patch: (c) => {
        c.runtime.defaultRuntime = "crun";
        crun(c).runtimePath = file("crun");
      },
      want: () => ({ errors: [`runtimes.crun.runtime_path: "${file("crun")}" does not exist`], warnings: [] }),
    },
    {
      desc: "a missing base_runtime_spec is an error naming the handler and path",
      patch: (c) => (crun(c).baseRuntimeSpec = file("absent.json")),
      want: () => ({
        errors: [`runtimes.crun.base_runtime_spec: base runtime spec "${file("absent.json")}" of runtime handler "crun" does not exist`],
        warnings: [],
      }),
    },
    {
      desc: "a base_runtime_spec that is not JSON is an error",
      patch: (c) => (runc(c).baseRuntimeSpec = file("broken.json")),
      want: () => ({
        errors: [expect.stringContaining(`runtimes.runc.base_runtime_spec: base runtime spec "${file("broken.json")}" of runtime handler "runc" is not valid JSON: `)],
        warnings: [],
      }),
    },
    {
      desc: "a base_runtime_spec that is a JSON array is an error",
      patch: (c) => (runc(c).baseRuntimeSpec = file("array.json")),
      want: () => ({
        errors: [`runtimes.runc.base_runtime_spec: base runtime spec "${file("array.json")}" of runtime handler "runc" is not a JSON object`],
        warnings: [],
      }),
    },
    {
      desc: "a base_runtime_spec without an ociVersion string is an error",
      patch: (c) => (runc(c).baseRuntimeSpec = file("no-version.json")),
      want: () => ({
        errors: [
          `runtimes.runc.base_runtime_spec: base runtime spec "${file("no-version.json")}" of runtime handler "runc" has no "ociVersion" string; is it an OCI runtime spec (config.json)?`,
        ],
        warnings: [],
      }),
    },
    {
      desc: "a missing registry ca_file is an error",
      patch: (c) => (c.registry.hosts["r:5000"] = { ...emptyHost(), caFile: file("absent.pem") }),
      want: () => ({ errors: [`registry.hosts."r:5000".ca_file: "${file("absent.pem")}" does not exist`], warnings: [] }),
    },
    {
      desc: "every problem is reported, not just the first",
      patch: (c) => {
        runc(c).runtimePath = file("absent");
        runc(c).baseRuntimeSpec = file("array.json");
        crun(c).runtimePath = file("absent");
      },
      want: () => ({
        errors: [
          `runtimes.runc.runtime_path: "${file("absent")}" does not exist`,
          `runtimes.runc.base_runtime_spec: base runtime spec "${file("array.json")}" of runtime handler "runc" is not a JSON object`,
        ],
        warnings: [`runtimes.crun.runtime_path: "${file("absent")}" does not exist; pods using runtime handler "crun" will fail`],
      }),
    },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      expect(await checkHost(config(tc.patch), "linux")).toEqual(tc.want());
    });
  }

  test("windows hcs handlers have no binary to check", async () => {
    expect(await checkHost(defaultConfig("win32"), "windows")).toEqual({ errors: [], warnings: [] });
  });
});

function emptyHost() {
  return { insecureSkipVerify: false, plainHttp: false, caFile: "", username: "", password: "", auth: "", identityToken: "" };
}
