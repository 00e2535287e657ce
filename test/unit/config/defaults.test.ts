import { describe, expect, test } from "bun:test";
import {
  DEFAULT_CONFIG_TOML,
  defaultConfig,
  defaultConfigPath,
  defaultConfigToml,
  defaultEndpoint,
  hostOs,
  parseConfig,
} from "../../../src/config/index.ts";
import {
  cniFields,
  handlerFields,
  hostFields,
  imageFields,
  linuxFields,
  mirrorFields,
  pathsFields,
  runtimeFields,
  serverFields,
  streamingFields,
} from "../../../src/config/fields.ts";
import { newMirrorDefaults, newRegistryHostDefaults } from "../../../src/config/defaults.ts";

const oses = [
  { desc: "the linux default file parses back to the linux defaults", os: "linux" as const },
  { desc: "the windows default file parses back to the windows defaults", os: "win32" as const },
];

describe("default config text", () => {
  for (const tc of oses) {
    test(tc.desc, () => {
      expect(parseConfig(defaultConfigToml(tc.os), "<test>", tc.os)).toEqual(defaultConfig(tc.os));
    });
  }

  test("DEFAULT_CONFIG_TOML is the text for the host OS and parses to defaultConfig()", () => {
    expect(DEFAULT_CONFIG_TOML).toBe(defaultConfigToml(hostOs()));
    expect(parseConfig(DEFAULT_CONFIG_TOML, "<test>")).toEqual(defaultConfig());
  });

  for (const tc of oses) {
    test(`every key in the ${tc.os} text has a one-line comment right above it`, () => {
      const lines = defaultConfigToml(tc.os).split("\n");
      const keyLines = lines.map((l, i) => [l, i] as const).filter(([l]) => /^[a-z_]+ = /.test(l));
      expect(keyLines.length).toBeGreaterThan(30);
      for (const [line, i] of keyLines) {
        expect({ line, above: lines[i - 1]?.startsWith("# ") }).toEqual({ line, above: true });
      }
    });
  }

  test("the text sets every key of every table explicitly, not by falling back to defaults", () => {
    // Parsing merges over the defaults, so a key missing from the text would still round-trip;
    // compare the raw TOML tables against the config objects' key counts instead.
    const raw = Bun.TOML.parse(defaultConfigToml("linux")) as Record<string, Record<string, unknown>>;
    const c = defaultConfig("linux");
    for (const section of ["server", "paths", "linux", "runtime", "cni", "image", "streaming"] as const) {
      expect(Object.keys(raw[section] ?? {}).length).toBe(Object.keys(c[section]).length);
    }
    const runtimes = raw.runtimes as Record<string, Record<string, unknown>>;
    expect(Object.keys(runtimes).sort()).toEqual(["crun", "runc"]);
    expect(Object.keys(runtimes.runc ?? {}).length).toBe(Object.keys(c.runtimes.runc ?? {}).length);
  });
});

describe("field tables", () => {
  const c = defaultConfig("linux");
  const tables = [
    { desc: "[server] has a field for every ServerConfig property", props: serverFields.map((f) => f.prop), obj: c.server },
    { desc: "[paths] has a field for every PathsConfig property", props: pathsFields.map((f) => f.prop), obj: c.paths },
    { desc: "[linux] has a field for every LinuxConfig property", props: linuxFields.map((f) => f.prop), obj: c.linux },
    { desc: "[runtime] has a field for every RuntimeConfig property", props: runtimeFields.map((f) => f.prop), obj: c.runtime },
    { desc: "[runtimes.x] has a field for every handler property", props: handlerFields.map((f) => f.prop), obj: c.runtimes.runc ?? {} },
    { desc: "[cni] has a field for every CniConfig property", props: cniFields.map((f) => f.prop), obj: c.cni },
    { desc: "[image] has a field for every ImageConfig property", props: imageFields.map((f) => f.prop), obj: c.image },
    { desc: "[streaming] has a field for every StreamingConfig property", props: streamingFields.map((f) => f.prop), obj: c.streaming },
    { desc: "mirror tables have a field for every mirror property", props: mirrorFields.map((f) => f.prop), obj: newMirrorDefaults() },
    { desc: "host tables have a field for every registry host property", props: hostFields.map((f) => f.prop), obj: newRegistryHostDefaults() },
  ];
  for (const tc of tables) {
    test(tc.desc, () => {
      expect([...tc.props].map(String).sort()).toEqual(Object.keys(tc.obj).sort());
    });
  }
});

describe("defaultConfig", () => {
  test("linux defaults match the documented values", () => {
    const c = defaultConfig("linux");
    expect(c.server).toEqual({
      socket: "/run/skiff/skiff.sock",
      socketMode: 0o660,
      socketGroup: "",
      metricsAddress: "",
      maxRecvMessageBytes: 16 * 1024 * 1024,
      maxSendMessageBytes: 16 * 1024 * 1024,
      shutdownTimeoutMs: 10_000,
      logLevel: "info",
    });
    expect(c.paths).toEqual({ root: "/var/lib/skiff", state: "/run/skiff" });
    expect(c.linux).toEqual({
      cgroupDriver: "auto",
      restrictOomScoreAdj: "auto",
      conmonPath: "/usr/bin/conmon",
      infraPath: "/usr/bin/catatonit",
      shmSize: 64 * 1024 * 1024,
    });
    expect(c.runtime.defaultRuntime).toBe("runc");
    expect(c.runtimes.runc?.runtimePath).toBe("/usr/sbin/runc");
    expect(c.runtimes.crun?.runtimePath).toBe("/usr/bin/crun");
    expect(c.runtimes.runc?.runtimeRoot).toBe("/run/skiff/runtime/runc");
    expect(c.cni).toEqual({
      confDir: "/etc/cni/net.d",
      binDirs: ["/usr/lib/cni", "/opt/cni/bin"],
      maxConfNum: 1,
      writeDefault: true,
      defaultSubnet: "10.88.0.0/16",
    });
    expect(c.image).toEqual({
      pullConcurrency: 3,
      unpackConcurrency: 0,
      progressTimeoutMs: 300_000,
      sandboxImage: "",
      importDir: "/var/lib/skiff/import",
      maxLayerBytes: 16 * 1024 ** 3,
    });
    expect(c.streaming).toEqual({ address: "127.0.0.1:0", idleTimeoutMs: 4 * 3_600_000, enableTls: false, tlsCertFile: "", tlsKeyFile: "", tokenTtlMs: 60_000 });
  });

  test("windows defaults use a named pipe, ProgramData paths and the runhcs-wcow-process handler", () => {
    const c = defaultConfig("win32");
    expect(c.server.socket).toBe("npipe:////./pipe/skiff");
    expect(c.paths).toEqual({ root: "C:\\ProgramData\\skiff\\root", state: "C:\\ProgramData\\skiff\\state" });
    expect(c.runtime.defaultRuntime).toBe("runhcs-wcow-process");
    expect(Object.keys(c.runtimes)).toEqual(["runhcs-wcow-process"]);
    expect(c.runtimes["runhcs-wcow-process"]).toMatchObject({
      runtimeType: "hcs",
      runtimePath: "",
      runtimeRoot: "C:\\ProgramData\\skiff\\state\\runtime\\runhcs-wcow-process",
    });
    expect(c.image.importDir).toBe("C:\\ProgramData\\skiff\\root\\import");
  });

  test("each call returns a fresh object, so callers cannot change the defaults", () => {
    const a = defaultConfig("linux");
    a.cni.binDirs.push("/mutated");
    expect(defaultConfig("linux").cni.binDirs).toEqual(["/usr/lib/cni", "/opt/cni/bin"]);
  });

  const endpoints = [
    { desc: "the linux default endpoint is the default socket with a unix:// scheme", os: "linux" as const, want: (s: string) => `unix://${s}` },
    { desc: "the windows default endpoint is the default named pipe", os: "win32" as const, want: (s: string) => s },
  ];
  for (const tc of endpoints) {
    test(tc.desc, () => {
      expect(defaultEndpoint(tc.os)).toBe(tc.want(defaultConfig(tc.os).server.socket));
    });
  }

  test("the default config file path depends on the OS", () => {
    expect(defaultConfigPath("linux")).toBe("/etc/skiff/config.toml");
    expect(defaultConfigPath("win32")).toBe("C:\\ProgramData\\skiff\\config.toml");
  });
});
