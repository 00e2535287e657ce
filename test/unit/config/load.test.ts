import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, defaultConfig, EMBEDDED_DEFAULTS_SOURCE, loadConfig } from "../../../src/config/index.ts";

let dir = "";
const file = (name: string) => join(dir, name);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "skiff-config-"));
  await writeFile(file("explicit.toml"), '[server]\nlog_level = "debug"\n');
  await writeFile(file("env.toml"), '[server]\nlog_level = "warn"\n');
  await writeFile(file("default.toml"), '[server]\nlog_level = "error"\n');
  await writeFile(file("broken.toml"), "[server]\nlog_levl = 1\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("loadConfig precedence", () => {
  const cases = [
    {
      desc: "an explicit path wins over SKIFF_CONFIG and the default path",
      opts: () => ({ path: file("explicit.toml"), env: { SKIFF_CONFIG: file("env.toml") }, defaultPath: file("default.toml") }),
      source: () => file("explicit.toml"),
      level: "debug",
    },
    {
      desc: "SKIFF_CONFIG wins over the default path",
      opts: () => ({ env: { SKIFF_CONFIG: file("env.toml") }, defaultPath: file("default.toml") }),
      source: () => file("env.toml"),
      level: "warn",
    },
    {
      desc: "an empty SKIFF_CONFIG counts as unset",
      opts: () => ({ env: { SKIFF_CONFIG: "" }, defaultPath: file("default.toml") }),
      source: () => file("default.toml"),
      level: "error",
    },
    {
      desc: "the default path is read when it exists",
      opts: () => ({ env: {}, defaultPath: file("default.toml") }),
      source: () => file("default.toml"),
      level: "error",
    },
    {
      desc: "the embedded defaults are used when no file is named and the default path is absent",
      opts: () => ({ env: {}, defaultPath: file("absent.toml") }),
      source: () => EMBEDDED_DEFAULTS_SOURCE,
      level: "info",
    },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      const { config, source } = await loadConfig({ ...tc.opts(), os: "linux" });
      expect(source).toBe(tc.source());
      expect(config.server.logLevel).toBe(tc.level as "info");
    });
  }

  test("the embedded defaults are the OS's defaults", async () => {
    const { config } = await loadConfig({ env: {}, defaultPath: file("absent.toml"), os: "win32" });
    expect(config).toEqual(defaultConfig("win32"));
  });
});

describe("loadConfig errors", () => {
  const cases = [
    {
      desc: "a missing explicit path is an error, not a fall back to the defaults",
      opts: () => ({ path: file("absent.toml"), env: {}, defaultPath: file("default.toml") }),
      message: () => `${file("absent.toml")}: config file does not exist (named by the config path)`,
    },
    {
      desc: "a missing SKIFF_CONFIG file is an error that names the variable",
      opts: () => ({ env: { SKIFF_CONFIG: file("absent.toml") }, defaultPath: file("default.toml") }),
      message: () => `${file("absent.toml")}: config file does not exist (named by SKIFF_CONFIG)`,
    },
    {
      desc: "a default path that exists but cannot be read is an error",
      opts: () => ({ env: {}, defaultPath: dir }),
      message: () => `${dir}: cannot read config file: EISDIR`,
    },
    {
      desc: "problems in the file are reported against the file's path",
      opts: () => ({ path: file("broken.toml"), env: {} }),
      message: () => `${file("broken.toml")}:2: server.log_levl: unknown key (did you mean "log_level"?)`,
    },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      const err = await loadConfig({ ...tc.opts(), os: "linux" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toBe(tc.message());
    });
  }
});
