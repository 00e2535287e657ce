import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { ContainerSchema, ContainerState, PodSandboxConfigSchema, PodSandboxSchema, PodSandboxState } from "../../../src/gen/runtime/v1/api_pb.ts";
import { UsageError } from "../../../src/cli/client-args.ts";
import { containerTableRows, imageCell } from "../../../src/cli/container-rows.ts";
import { parseCriConfig } from "../../../src/cli/cri-config-file.ts";
import { splitExecArgs } from "../../../src/cli/exec.ts";
import { createdAgo, humanDuration } from "../../../src/cli/human-duration.ts";
import { imageMatches, parseContainerState, parseLabels, parsePodState } from "../../../src/cli/list-filters.ts";
import { podTableRows } from "../../../src/cli/pod-rows.ts";
import { pickByPrefix } from "../../../src/cli/resolve-id.ts";
import { parseGrace } from "../../../src/cli/stop.ts";
import { InvalidArgumentError, NotFoundError } from "../../../src/errors.ts";

describe("pickByPrefix", () => {
  const ids = ["abc123", "abd456", "ff00"];
  const cases: { desc: string; prefix: string; want?: string; error?: RegExp }[] = [
    { desc: "a unique prefix names its id", prefix: "abc", want: "abc123" },
    { desc: "a full id names itself", prefix: "ff00", want: "ff00" },
    { desc: "a prefix of several ids is ambiguous", prefix: "ab", error: /"ab" is ambiguous: it matches 2 pods/ },
    { desc: "a prefix of none is not found, quoted", prefix: "zz", error: /^pod "zz" not found$/ },
    { desc: "an empty prefix is refused", prefix: "", error: /empty pod id/ },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      if (tc.error) expect(() => pickByPrefix(ids, tc.prefix, "pod")).toThrow(tc.error);
      else expect(pickByPrefix(ids, tc.prefix, "pod")).toBe(tc.want as string);
    });
  }
  test("not found is a NotFoundError and ambiguity an InvalidArgumentError", () => {
    expect(() => pickByPrefix(ids, "zz", "container")).toThrow(NotFoundError);
    expect(() => pickByPrefix(ids, "ab", "container")).toThrow(InvalidArgumentError);
  });
  test("an exact id wins over a longer id it prefixes", () => expect(pickByPrefix(["ab", "abc"], "ab", "pod")).toBe("ab"));
});

describe("parseCriConfig", () => {
  const cases: { desc: string; text: string; error?: RegExp; check?: (c: ReturnType<typeof parse>) => void }[] = [
    { desc: "snake_case keys are read, as in crictl's pod.json", text: '{"metadata":{"name":"a"},"log_directory":"/l","port_mappings":[{"container_port":80}]}', check: (c) => {
      expect(c.logDirectory).toBe("/l");
      expect(c.portMappings[0]?.containerPort).toBe(80);
    } },
    { desc: "camelCase keys are read too", text: '{"logDirectory":"/l"}', check: (c) => expect(c.logDirectory).toBe("/l") },
    { desc: "an unknown key names the key and the message", text: '{"metadata":{"nmae":"a"}}', error: /^pod\.json: cannot decode message PodSandboxMetadata from JSON: key "nmae" is unknown$/ },
    { desc: "a wrong type names the field", text: '{"metadata":{"attempt":"one"}}', error: /^pod\.json: cannot decode field PodSandboxMetadata\.attempt from JSON/ },
    { desc: "broken JSON is named as such", text: '{"metadata":', error: /^pod\.json: not valid JSON/ },
    { desc: "a JSON array is not a config", text: "[]", error: /^pod\.json: expected a JSON object \(PodSandboxConfig\)$/ },
  ];
  const parse = (t: string) => parseCriConfig(PodSandboxConfigSchema, t, "pod.json");
  for (const tc of cases) {
    test(tc.desc, () => {
      if (tc.error) {
        expect(() => parse(tc.text)).toThrow(UsageError);
        expect(() => parse(tc.text)).toThrow(tc.error);
      } else tc.check?.(parse(tc.text));
    });
  }
});

describe("list filters", () => {
  test("labels are key=value pairs, the value may hold '='", () => expect(parseLabels(["a=b", "c=d=e", "e="])).toEqual({ a: "b", c: "d=e", e: "" }));
  test("a label without '=' is a usage error", () => expect(() => parseLabels(["oops"])).toThrow(UsageError));
  test("pod states are read in any case", () => {
    expect(parsePodState("Ready")).toBe(PodSandboxState.SANDBOX_READY);
    expect(parsePodState("NOTREADY")).toBe(PodSandboxState.SANDBOX_NOTREADY);
    expect(() => parsePodState("running")).toThrow(/expected one of ready, notready/);
  });
  test("container states are read in any case", () => {
    expect(parseContainerState("Exited")).toBe(ContainerState.CONTAINER_EXITED);
    expect(() => parseContainerState("ready")).toThrow(UsageError);
  });
  const id = `sha256:0123456789abcdef${"0".repeat(48)}`;
  const cases: { desc: string; wanted: string; want: boolean }[] = [
    { desc: "the exact image name matches", wanted: "reg/busybox:1", want: true },
    { desc: "the repository without tag matches", wanted: "reg/busybox", want: true },
    { desc: "an id prefix without sha256: matches", wanted: "0123", want: true },
    { desc: "an id prefix with sha256: matches", wanted: "sha256:0123", want: true },
    { desc: "another repository does not match", wanted: "reg/busy", want: false },
    { desc: "a hex word is not matched against the image name", wanted: "abc", want: false },
  ];
  for (const tc of cases) test(`image filter: ${tc.desc}`, () => expect(imageMatches("reg/busybox:1", id, tc.wanted)).toBe(tc.want));
});

describe("humanDuration", () => {
  const cases: [number, string][] = [
    [0.5, "Less than a second"], [1, "1 second"], [42, "42 seconds"], [60, "About a minute"], [150, "2 minutes"],
    [3600, "About an hour"], [5 * 3600, "5 hours"], [3 * 86400, "3 days"], [20 * 86400, "2 weeks"], [90 * 86400, "3 months"], [800 * 86400, "2 years"],
  ];
  for (const [s, want] of cases) test(`${s} s reads "${want}"`, () => expect(humanDuration(s)).toBe(want));
  test("a CRI timestamp in ns becomes 'N ago'", () => expect(createdAgo(1_000_000_000_000n, 1_000_000 + 5_000)).toBe("5 seconds ago"));
  test("a zero timestamp is unknown", () => expect(createdAgo(0n)).toBe("Unknown"));
});

describe("table rows", () => {
  const now = 2_000_000;
  const pod = create(PodSandboxSchema, {
    id: "a".repeat(64), createdAt: 1_990_000n * 1_000_000n, state: PodSandboxState.SANDBOX_NOTREADY,
    metadata: { name: "web", namespace: "ns", attempt: 2 },
  });
  test("a pod row: short id, age, state, name, namespace, attempt, default runtime", () =>
    expect(podTableRows([pod], now)).toEqual([["a".repeat(13), "10 seconds ago", "NotReady", "web", "ns", "2", "(default)"]]));
  const ctr = create(ContainerSchema, {
    id: "b".repeat(64), podSandboxId: pod.id, createdAt: 1_940_000n * 1_000_000n, state: ContainerState.CONTAINER_RUNNING,
    metadata: { name: "box" }, image: { image: "reg/busybox:1" }, imageRef: "sha256:" + "c".repeat(64),
  });
  test("a container row names its pod", () =>
    expect(containerTableRows([ctr], new Map([[pod.id, "web"]]), now)).toEqual([
      ["b".repeat(13), "reg/busybox:1", "About a minute ago", "Running", "box", "0", "a".repeat(13), "web"],
    ]));
  test("a container of an unknown pod says so", () => expect(containerTableRows([ctr], new Map(), now)[0]?.[7]).toBe("unknown"));
  test("an image given by id is shortened", () =>
    expect(imageCell(create(ContainerSchema, { image: { image: "sha256:" + "d".repeat(64) } }))).toBe("d".repeat(13)));
});

describe("splitExecArgs and parseGrace", () => {
  const cases: { desc: string; argv: string[]; want: ReturnType<typeof splitExecArgs> }[] = [
    { desc: "words after the id belong to the command, flags included", argv: ["abc", "sh", "-c", "exit 3"], want: { flags: [], id: "abc", command: ["sh", "-c", "exit 3"] } },
    { desc: "flags before the id are exec's, with their values", argv: ["--timeout", "5", "-r", "unix:///s", "abc", "ls"], want: { flags: ["--timeout", "5", "-r", "unix:///s"], id: "abc", command: ["ls"] } },
    { desc: "a --flag=value stays one word", argv: ["--timeout=5", "abc", "ls", "--timeout", "9"], want: { flags: ["--timeout=5"], id: "abc", command: ["ls", "--timeout", "9"] } },
    { desc: "-- ends exec's flags", argv: ["--", "-abc", "ls"], want: { flags: [], id: "-abc", command: ["ls"] } },
  ];
  for (const tc of cases) test(tc.desc, () => expect(splitExecArgs(tc.argv)).toEqual(tc.want));
  test("no id is a usage error", () => expect(() => splitExecArgs(["--timeout", "5"])).toThrow(UsageError));
  test("a grace period is whole seconds", () => {
    expect(parseGrace("30")).toBe(30n);
    expect(() => parseGrace("1.5")).toThrow(UsageError);
  });
});
