import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { NamespaceMode, PodSandboxConfigSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError, NotSupportedError } from "../../../src/errors.ts";
import { checkSandboxConfig } from "../../../src/sandbox/sandbox-config-check.ts";

const good = { metadata: { name: "web", namespace: "default", uid: "u1" } };
const userns = (mode: NamespaceMode) => ({ ...good, linux: { securityContext: { namespaceOptions: { usernsOptions: { mode } } } } });
const USERNS_MODE = "config.linux.security_context.namespace_options.userns_options.mode";

describe("checkSandboxConfig", () => {
  const bad: { desc: string; config: object | undefined; field: string }[] = [
    { desc: "a missing config is refused", config: undefined, field: "config" },
    { desc: "missing metadata is refused", config: {}, field: "config.metadata" },
    { desc: "an empty name is refused", config: { metadata: { ...good.metadata, name: "" } }, field: "config.metadata.name" },
    { desc: "a name with a slash is refused", config: { metadata: { ...good.metadata, name: "../etc" } }, field: "config.metadata.name" },
    { desc: "a namespace of .. is refused", config: { metadata: { ...good.metadata, namespace: ".." } }, field: "config.metadata.namespace" },
    { desc: "an empty uid is refused", config: { metadata: { ...good.metadata, uid: "" } }, field: "config.metadata.uid" },
    { desc: "a relative log directory is refused", config: { ...good, logDirectory: "var/log/pods" }, field: "config.log_directory" },
    { desc: "a log directory with .. is refused", config: { ...good, logDirectory: "/var/log/../../etc" }, field: "config.log_directory" },
    { desc: "a hostname with a slash is refused", config: { ...good, hostname: "a/b" }, field: "config.hostname" },
    { desc: "negative pod memory is refused", config: { ...good, linux: { resources: { memoryLimitInBytes: -1n } } }, field: "config.linux.resources.memory_limit_in_bytes" },
    { desc: "a container port of 0 is refused", config: { ...good, portMappings: [{ containerPort: 0 }] }, field: "config.port_mappings[0].container_port" },
    { desc: "labels over 512 KiB in all are refused", config: { ...good, labels: { big: "x".repeat(600 * 1024) } }, field: "config.labels" },
    { desc: "annotations over 512 KiB in all are refused", config: { ...good, annotations: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`k${i}`, "v".repeat(30)])) }, field: "config.annotations" },
    { desc: "a log directory longer than PATH_MAX is refused", config: { ...good, logDirectory: `/${"d".repeat(5000)}` }, field: "config.log_directory" },
    { desc: "a host port above 65535 is refused", config: { ...good, portMappings: [{ containerPort: 80, hostPort: 70000 }] }, field: "config.port_mappings[0].host_port" },
    { desc: "a user namespace in CONTAINER mode is refused", config: userns(NamespaceMode.CONTAINER), field: USERNS_MODE },
    { desc: "a user namespace in TARGET mode is refused", config: userns(NamespaceMode.TARGET), field: USERNS_MODE },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      const config = tc.config === undefined ? undefined : create(PodSandboxConfigSchema, tc.config as never);
      try {
        checkSandboxConfig(config);
        throw new Error("no error");
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect((err as InvalidArgumentError).field).toBe(tc.field);
      }
    });
  }
  test("a user namespace of the pod's own (POD) is not built, and says so", () => {
    const config = create(PodSandboxConfigSchema, userns(NamespaceMode.POD) as never);
    expect(() => checkSandboxConfig(config)).toThrow(NotSupportedError);
    expect(() => checkSandboxConfig(config)).toThrow(USERNS_MODE);
  });
  test("the node's user namespace (NODE) passes", () => {
    expect(() => checkSandboxConfig(create(PodSandboxConfigSchema, userns(NamespaceMode.NODE) as never))).not.toThrow();
  });
  test("a well-formed config passes", () => {
    expect(() => checkSandboxConfig(create(PodSandboxConfigSchema, { ...good, logDirectory: "/var/log/pods/x", hostname: "web" }))).not.toThrow();
  });
});
