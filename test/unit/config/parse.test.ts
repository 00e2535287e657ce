import { describe, expect, test } from "bun:test";
import { ConfigError, defaultConfig, parseConfig } from "../../../src/config/index.ts";

const SOURCE = "/etc/skiff/config.toml";

/** The ConfigError that parsing `text` throws (fails the test if none is thrown). */
function configError(text: string, os: NodeJS.Platform = "linux"): ConfigError {
  try {
    parseConfig(text, SOURCE, os);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig merges a file over the defaults", () => {
  const cases = [
    {
      desc: "an empty file gives the defaults",
      toml: "",
      want: (c = defaultConfig("linux")) => c,
    },
    {
      desc: "one key changes that key and leaves the rest of its table alone",
      toml: '[server]\nlog_level = "debug"\n',
      want: (c = defaultConfig("linux")) => ({ ...c, server: { ...c.server, logLevel: "debug" as const } }),
    },
    {
      desc: "durations, sizes and modes are converted to numbers",
      toml: '[server]\nshutdown_timeout = "1m30s"\nmax_recv_message_bytes = "4MiB"\nmax_send_message_bytes = 1024\nsocket_mode = "0600"\n',
      want: (c = defaultConfig("linux")) => ({
        ...c,
        server: { ...c.server, shutdownTimeoutMs: 90_000, maxRecvMessageBytes: 4 * 1024 ** 2, maxSendMessageBytes: 1024, socketMode: 0o600 },
      }),
    },
    {
      desc: "a unix:// prefix on the socket is dropped so the config holds a plain path",
      toml: '[server]\nsocket = "unix:///run/k/skiff.sock"\n',
      want: (c = defaultConfig("linux")) => ({ ...c, server: { ...c.server, socket: "/run/k/skiff.sock" } }),
    },
    {
      desc: "a numeric socket group is kept as its decimal string",
      toml: "[server]\nsocket_group = 994\n",
      want: (c = defaultConfig("linux")) => ({ ...c, server: { ...c.server, socketGroup: "994" } }),
    },
    {
      desc: "restrict_oom_score_adj takes a boolean as well as auto",
      toml: "[linux]\nrestrict_oom_score_adj = true\n",
      want: (c = defaultConfig("linux")) => ({ ...c, linux: { ...c.linux, restrictOomScoreAdj: true } }),
    },
    {
      desc: "moving the root and state dirs moves the paths derived from them",
      toml: '[paths]\nroot = "/data/skiff"\nstate = "/run/s"\n',
      want: (c = defaultConfig("linux")) => ({
        ...c,
        paths: { root: "/data/skiff", state: "/run/s" },
        image: { ...c.image, importDir: "/data/skiff/import" },
        runtimes: {
          runc: { ...(c.runtimes.runc as NonNullable<typeof c.runtimes.runc>), runtimeRoot: "/run/s/runtime/runc" },
          crun: { ...(c.runtimes.crun as NonNullable<typeof c.runtimes.crun>), runtimeRoot: "/run/s/runtime/crun" },
        },
      }),
    },
    {
      desc: "an explicit derived path wins over the derived default",
      toml: '[paths]\nroot = "/data/skiff"\n[image]\nimport_dir = "/srv/import"\n',
      want: (c = defaultConfig("linux")) => ({ ...c, paths: { ...c.paths, root: "/data/skiff" }, image: { ...c.image, importDir: "/srv/import" } }),
    },
    {
      desc: "a key set on a default handler is merged into that handler",
      toml: '[runtimes.runc]\nruntime_path = "/usr/local/bin/runc"\npod_annotations = ["io.kubernetes.cri.*"]\n',
      want: (c = defaultConfig("linux")) => ({
        ...c,
        runtimes: {
          ...c.runtimes,
          runc: {
            ...(c.runtimes.runc as NonNullable<typeof c.runtimes.runc>),
            runtimePath: "/usr/local/bin/runc",
            podAnnotations: ["io.kubernetes.cri.*"],
          },
        },
      }),
    },
    {
      desc: "a new handler with a quoted name gets the handler defaults and can become the default runtime",
      toml: '[runtime]\ndefault_runtime = "kata-qemu"\n[runtimes."kata-qemu"]\nruntime_path = "/opt/kata/bin/kata-runtime"\nprivileged_without_host_devices = true\n',
      want: (c = defaultConfig("linux")) => ({
        ...c,
        runtime: { defaultRuntime: "kata-qemu" },
        runtimes: {
          ...c.runtimes,
          "kata-qemu": {
            runtimeType: "oci" as const,
            runtimePath: "/opt/kata/bin/kata-runtime",
            runtimeRoot: "/run/skiff/runtime/kata-qemu",
            baseRuntimeSpec: "",
            podAnnotations: [],
            containerAnnotations: [],
            privilegedWithoutHostDevices: true,
            sandboxMode: "podsandbox" as const,
            sandboxProcess: "auto" as const,
            sandboxIsolation: "process" as const,
            hcsSchemaVersion: "auto" as const,
            hcsKeepResourcesOnFailure: false,
          },
        },
      }),
    },
    {
      desc: "registry mirrors and hosts are read with defaults for the keys left out",
      toml: '[registry.mirrors."docker.io"]\nendpoints = ["https://mirror.local"]\n[registry.hosts."myreg:5000"]\nplain_http = true\nusername = "u"\npassword = "p"\n',
      want: (c = defaultConfig("linux")) => ({
        ...c,
        registry: {
          mirrors: { "docker.io": { endpoints: ["https://mirror.local"] } },
          hosts: {
            "myreg:5000": { insecureSkipVerify: false, plainHttp: true, caFile: "", username: "u", password: "p", auth: "", identityToken: "" },
          },
        },
      }),
    },
    {
      desc: "inline tables are read like regular ones",
      toml: 'streaming = { address = "0.0.0.0:10010", idle_timeout = "30m" }\n',
      want: (c = defaultConfig("linux")) => ({ ...c, streaming: { ...c.streaming, address: "0.0.0.0:10010", idleTimeoutMs: 1_800_000 } }),
    },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(parseConfig(tc.toml, SOURCE, "linux")).toEqual(tc.want()));
  }

  test("a windows file is checked with windows path rules and merged over the windows defaults", () => {
    const c = parseConfig("[paths]\nroot = 'D:\\skiff'\n", SOURCE, "win32");
    expect(c.paths.root).toBe("D:\\skiff");
    expect(c.image.importDir).toBe("D:\\skiff\\import");
    expect(c.runtime.defaultRuntime).toBe("runhcs-wcow-process");
  });
});

describe("parseConfig reports each problem with its key and line", () => {
  const cases = [
    {
      desc: "an unknown key in [server] is named, with a suggestion",
      toml: '# header\n[server]\nlog_level = "info"\nsocket_mod = "0660"\n',
      line: 4,
      key: "server.socket_mod",
      msg: 'unknown key (did you mean "socket_mode"?)',
    },
    {
      desc: "a typo inside [runtimes.runc] is an unknown key on that line",
      toml: '[runtimes.runc]\nruntime_type = "oci"\nruntime_pth = "/usr/sbin/runc"\n',
      line: 3,
      key: "runtimes.runc.runtime_pth",
      msg: 'unknown key (did you mean "runtime_path"?)',
    },
    {
      desc: "an unknown section is reported at its header",
      toml: '[server]\nlog_level = "info"\n\n[netwrk]\nplugin = "x"\n',
      line: 4,
      key: "netwrk",
      msg: "unknown table (expected one of: server, paths, linux, runtime, runtimes, cni, registry, image, streaming)",
    },
    {
      desc: "a value of the wrong type names the type expected and the one found",
      toml: "[image]\npull_concurrency = \"3\"\n",
      line: 2,
      key: "image.pull_concurrency",
      msg: 'expected an integer, got a string ("3")',
    },
    {
      desc: "a bad duration says how durations are written",
      toml: "[streaming]\nidle_timeout = \"4 hours\"\n",
      line: 2,
      key: "streaming.idle_timeout",
      msg: 'invalid duration "4 hours": use a number with a unit of h, m, s or ms, like "10s" or "1h30m"',
    },
    {
      desc: "a bad enum value lists the allowed values",
      toml: '[linux]\ncgroup_driver = "system-d"\n',
      line: 2,
      key: "linux.cgroup_driver",
      msg: 'must be one of "auto", "systemd", "cgroupfs", got "system-d"',
    },
    {
      desc: "a relative path is refused where an absolute one is needed",
      toml: '[paths]\nroot = "var/lib/skiff"\n',
      line: 2,
      key: "paths.root",
      msg: 'must be an absolute path (like /var/lib/...), got "var/lib/skiff"',
    },
    {
      desc: "a bad item of an array is named by its index",
      toml: '[cni]\nbin_dirs = [\n  "/opt/cni/bin",\n  "cni/bin",\n]\n',
      line: 2,
      key: "cni.bin_dirs[1]",
      msg: 'must be an absolute path (like /var/lib/...), got "cni/bin"',
    },
    {
      desc: "a default_runtime naming an undefined handler lists the defined ones",
      toml: '\n[runtime]\ndefault_runtime = "kata"\n',
      line: 3,
      key: "runtime.default_runtime",
      msg: 'runtime handler "kata" is not defined in [runtimes] (defined: "runc", "crun")',
    },
    {
      desc: "a new oci handler without a runtime_path points at its header",
      toml: '[runtimes."my-runtime"]\nruntime_type = "oci"\n',
      line: 1,
      key: "runtimes.my-runtime.runtime_path",
      msg: 'required when runtime_type is "oci": the absolute path of the runtime binary',
    },
    {
      desc: "a runtime_type for another OS is refused",
      toml: '[runtimes.runc]\nruntime_type = "hcs"\n',
      line: 2,
      key: "runtimes.runc.runtime_type",
      msg: 'runtime_type "hcs" is only available on windows',
    },
    {
      desc: "a handler name that is not a DNS label is refused",
      toml: '[runtimes."my.runtime"]\nruntime_path = "/bin/x"\n',
      line: 1,
      key: 'runtimes."my.runtime"',
      msg: "a runtime handler name must be a DNS label (lowercase letters, digits and '-', at most 63 characters)",
    },
    {
      desc: "a key inside an inline table is found on its own line",
      toml: 'runtimes = { runc = {\n  runtime_path = "runc" } }\n',
      line: 2,
      key: "runtimes.runc.runtime_path",
      msg: 'must be an absolute path (like /var/lib/...), got "runc"',
    },
    {
      desc: "a key written as a dotted key is found",
      toml: 'server.log_level = "loud"\n',
      line: 1,
      key: "server.log_level",
      msg: 'must be one of "debug", "info", "warn", "error", got "loud"',
    },
    {
      desc: "text inside a multi-line string is not mistaken for a key",
      toml: '[image]\nsandbox_image = """\nlog_level = 1\n"""\n[server]\nlog_level = 1\n',
      line: 6,
      key: "server.log_level",
      msg: 'expected one of "debug", "info", "warn", "error", got an integer (1)',
    },
    {
      desc: "a registry host with both auth and a username is refused",
      toml: '[registry.hosts."myreg:5000"]\nusername = "u"\nauth = "dTpw"\n',
      line: 3,
      key: 'registry.hosts."myreg:5000".auth',
      msg: "set either auth or username and password, not both",
    },
    {
      desc: "a windows socket must be a named pipe",
      toml: '[server]\nsocket = "/run/skiff.sock"\n',
      os: "win32" as const,
      line: 2,
      key: "server.socket",
      msg: 'must be a named pipe like "npipe:////./pipe/skiff", got "/run/skiff.sock"',
    },
    {
      desc: "a posix path is relative on windows",
      toml: '[paths]\nstate = "/run/skiff"\n',
      os: "win32" as const,
      line: 2,
      key: "paths.state",
      msg: 'must be an absolute path (like C:\\ProgramData\\...), got "/run/skiff"',
    },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const err = configError(tc.toml, tc.os ?? "linux");
      expect(err.message).toBe(`${SOURCE}:${tc.line}: ${tc.key}: ${tc.msg}`);
      expect(err.problems).toHaveLength(1);
      expect(err.source).toBe(SOURCE);
    });
  }
});

describe("parseConfig reports TOML syntax errors with the line", () => {
  const cases = [
    { desc: "a missing value is reported on its line", toml: 'a = 1\n\n[server]\nsocket = = "x"\n', line: 4, msg: "expected a value but found '='" },
    { desc: "a table defined twice is reported at the second header", toml: "[server]\n\n[server]\n", line: 3, msg: "cannot redefine table 'server'" },
    { desc: "an unterminated string is reported on its line", toml: '[image]\nsandbox_image = "busybox\n', line: 2, msg: "unterminated string; newlines must be escaped in basic strings" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const err = configError(tc.toml);
      expect(err.message).toBe(`${SOURCE}:${tc.line}: invalid TOML: ${tc.msg}`);
      expect(err.cause).toBeInstanceOf(SyntaxError);
    });
  }
});

describe("parseConfig reports every problem at once", () => {
  test("problems from decoding and from cross-field checks come together, in line order", () => {
    const err = configError(
      [
        "[runtime]", //                                 1
        'default_runtime = "missing"', //               2
        "[server]", //                                  3
        'socket_mod = "0660"', //                       4
        'shutdown_timeout = "soon"', //                 5
        "[runtimes.runc]", //                           6
        'runtime_pth = "/x"', //                        7
        "[image]", //                                   8
        'import_dir = "import"', //                     9
        "",
      ].join("\n"),
    );
    expect(err.problems.map((p) => p.line)).toEqual([2, 4, 5, 7, 9]);
    expect(err.message.split("\n")).toEqual([
      `${SOURCE}:2: runtime.default_runtime: runtime handler "missing" is not defined in [runtimes] (defined: "runc", "crun")`,
      `${SOURCE}:4: server.socket_mod: unknown key (did you mean "socket_mode"?)`,
      `${SOURCE}:5: server.shutdown_timeout: invalid duration "soon": use a number with a unit of h, m, s or ms, like "10s" or "1h30m"`,
      `${SOURCE}:7: runtimes.runc.runtime_pth: unknown key (did you mean "runtime_path"?)`,
      `${SOURCE}:9: image.import_dir: must be an absolute path (like /var/lib/...), got "import"`,
    ]);
  });

  test("a key that failed to decode is not reported a second time by the cross-field checks", () => {
    const err = configError('[runtimes.kata]\nruntime_path = "kata"\n');
    expect(err.problems.map((p) => p.path.join("."))).toEqual(["runtimes.kata.runtime_path"]);
  });
});

describe("parseConfig names the type it found", () => {
  const cases = [
    { desc: "a socket given as a number is refused", toml: "[server]\nsocket = 5\n", want: "server.socket: expected a string, got an integer (5)" },
    { desc: "a socket group given as a boolean is refused", toml: "[server]\nsocket_group = true\n", want: "server.socket_group: expected a group name or numeric gid, got a boolean (true)" },
    { desc: "a section given as a value is refused", toml: "runtimes = 5\n", want: "runtimes: expected a table, got an integer (5)" },
    { desc: "a mode given as a number is refused, since 660 and 0o660 are easy to confuse", toml: "[server]\nsocket_mode = 660\n", want: 'server.socket_mode: expected an octal mode string like "0660", got an integer (660)' },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(configError(tc.toml).message).toBe(`${SOURCE}:${tc.toml.split("\n").length - 1}: ${tc.want}`));
  }
});
