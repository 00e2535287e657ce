import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, MountSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError, NotSupportedError } from "../../../src/errors.ts";
import { checkContainerConfig, prepareLogPath, resolveMountSources } from "../../../src/container/container-config-check.ts";
import { containerLogPath } from "../../../src/container/container-paths.ts";

const good = { metadata: { name: "app" }, image: { image: "busybox" } };
const expectField = (fn: () => unknown, field: string) => {
  try {
    fn();
    throw new Error("no error");
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as InvalidArgumentError).field).toBe(field);
  }
};

describe("checkContainerConfig", () => {
  const bad: { desc: string; config: object | undefined; field: string }[] = [
    { desc: "a missing config is refused", config: undefined, field: "config" },
    { desc: "missing metadata is refused", config: { image: { image: "x" } }, field: "config.metadata" },
    { desc: "a name with a slash is refused", config: { ...good, metadata: { name: "a/b" } }, field: "config.metadata.name" },
    { desc: "a missing image is refused", config: { metadata: { name: "app" } }, field: "config.image.image" },
    { desc: "an absolute log path is refused", config: { ...good, logPath: "/etc/passwd" }, field: "config.log_path" },
    { desc: "a traversing log path is refused", config: { ...good, logPath: "app/../../../etc/cron.d/x" }, field: "config.log_path" },
    { desc: "labels over 512 KiB in all are refused", config: { ...good, labels: { k: "v".repeat(513 * 1024) } }, field: "config.labels" },
    { desc: "a log path longer than PATH_MAX is refused", config: { ...good, logPath: "l".repeat(5000) }, field: "config.log_path" },
    { desc: "a negative memory limit is refused", config: { ...good, linux: { resources: { memoryLimitInBytes: -5n } } }, field: "config.linux.resources.memory_limit_in_bytes" },
    { desc: "negative cpu shares are refused", config: { ...good, linux: { resources: { cpuShares: -2n } } }, field: "config.linux.resources.cpu_shares" },
    { desc: "a cpu quota below -1 is refused", config: { ...good, linux: { resources: { cpuQuota: -2n } } }, field: "config.linux.resources.cpu_quota" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => expectField(() => checkContainerConfig(tc.config === undefined ? undefined : create(ContainerConfigSchema, tc.config as never)), tc.field));
  }
  test("a well-formed config passes", () => {
    expect(() => checkContainerConfig(create(ContainerConfigSchema, { ...good, logPath: "app/0.log" }))).not.toThrow();
  });
  test("an image volume is not built, and says so naming the mount", () => {
    const config = create(ContainerConfigSchema, { ...good, mounts: [{ containerPath: "/a", hostPath: "/tmp" }, { containerPath: "/mnt", image: { image: "busybox" }, readonly: true }] });
    expect(() => checkContainerConfig(config)).toThrow(NotSupportedError);
    expect(() => checkContainerConfig(config)).toThrow("config.mounts[1].image");
  });
  test("the log path is the pod's log dir joined with the container's", () => {
    expect(containerLogPath("/var/log/pods/ns_p_u", "app/0.log")).toBe("/var/log/pods/ns_p_u/app/0.log");
    expect(containerLogPath("", "app/0.log")).toBe("");
  });
});

describe("resolveMountSources", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mount-src-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, "data"));
  fs.symlinkSync(path.join(dir, "data"), path.join(dir, "link"));
  fs.symlinkSync(path.join(dir, "nowhere"), path.join(dir, "dangling"));
  fs.symlinkSync(path.join(dir, "loop"), path.join(dir, "loop"));
  const m = (hostPath: string) => create(MountSchema, { hostPath, containerPath: "/mnt" });

  test("a symlinked host path is replaced by what it points at", () => {
    expect(resolveMountSources([m(path.join(dir, "link"))])[0]!.hostPath).toBe(path.join(dir, "data"));
  });
  test("a dangling symlink is refused naming the mount", () => expectField(() => resolveMountSources([m(path.join(dir, "data")), m(path.join(dir, "dangling"))]), "config.mounts[1].host_path"));
  test("a looping symlink is refused", () => expectField(() => resolveMountSources([m(path.join(dir, "loop"))]), "config.mounts[0].host_path"));
  test("a relative host path is refused", () => expectField(() => resolveMountSources([m("data")]), "config.mounts[0].host_path"));
  test("a missing host path is created as a directory", () => {
    const want = path.join(dir, "new/sub");
    resolveMountSources([m(want)]);
    expect(fs.statSync(want).isDirectory()).toBe(true);
  });
});

describe("prepareLogPath", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "log-path-"));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  const pod = path.join(root, "pod");
  const outside = path.join(root, "outside");
  fs.mkdirSync(path.join(pod, "real"), { recursive: true });
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(pod, "evil"));
  fs.symlinkSync(path.join(outside, "target.log"), path.join(pod, "real", "0.log"));
  fs.writeFileSync(path.join(pod, "afile"), "");
  const tree = () => [...fs.readdirSync(root, { recursive: true })].sort();

  const refused = [
    { desc: "a directory that is a symlink out of the log dir", logPath: "evil/sub/0.log" },
    { desc: "a log file that is a symlink", logPath: "real/0.log" },
    { desc: "a directory that is a file", logPath: "afile/0.log" },
  ];
  for (const tc of refused) {
    test(`${tc.desc} is refused and nothing is made`, () => {
      const before = tree();
      expectField(() => prepareLogPath(pod, tc.logPath), "config.log_path");
      expect(tree()).toEqual(before);
    });
  }

  test("missing directories are made, the pod's own log dir included", () => {
    prepareLogPath(path.join(root, "fresh"), "app/sub/0.log");
    expect(fs.statSync(path.join(root, "fresh/app/sub")).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(root, "fresh/app/sub/0.log"))).toBe(false);
  });

  test("an existing regular log file is fine", () => {
    fs.writeFileSync(path.join(pod, "real", "1.log"), "x");
    expect(() => prepareLogPath(pod, "real/1.log")).not.toThrow();
  });
});
