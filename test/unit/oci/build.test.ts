import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { baseFor, defaultLinuxSpec, parseBaseSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec, cgroupsPath, explainSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { withHostname } from "../../../src/oci/opts/process.ts";
import { applyWithExplain, compose } from "../../../src/oci/spec-opts.ts";
import type { Spec } from "../../../src/oci/spec.ts";
import { containerInput } from "./fixtures.ts";

describe("base spec", () => {
  test("two builds from one base leave the base untouched and share nothing", () => {
    const base = parseBaseSpec(
      JSON.stringify({ ociVersion: "1.0.2", hostname: "old", process: { user: { uid: 0, gid: 0, additionalGids: [9999] }, cwd: "/" }, linux: { resources: { memory: { limit: 100 } } } }),
      "/etc/skiff/base.json",
    );
    const frozen = structuredClone(base);
    const a = buildSpec(base, containerSpecOpts(containerInput({ linux: { resources: { memoryLimitInBytes: 4096n } } })));
    const b = buildSpec(base, containerSpecOpts(containerInput({ command: ["/other"] }, { id: "c2" })));
    expect(base).toEqual(frozen);
    expect(a.ociVersion).toBe("1.0.2");
    expect(a.linux?.resources?.memory?.limit).toBe(4096);
    expect(b.linux?.resources?.memory?.limit).toBe(100);
    expect(b.process?.args).toEqual(["/other"]);
    // the container's groups (its primary gid at least) replace the base's, as containerd's do
    expect(a.process?.user.additionalGids).toEqual([0]);
    expect(base.process?.user.additionalGids).toEqual([9999]);
    expect(a.mounts).not.toBe(b.mounts);
    expect(b.linux?.cgroupsPath).toBe("/kubepods/pod-uid-1/c2");
  });

  test("baseFor returns a deep copy", () => {
    const base = defaultLinuxSpec();
    const copy = baseFor(base);
    copy.process?.capabilities?.bounding?.push("CAP_SYS_ADMIN");
    withHostname("x")(copy);
    expect(base.process?.capabilities?.bounding).not.toContain("CAP_SYS_ADMIN");
    expect(base.hostname).toBeUndefined();
  });

  const bad = [
    { desc: "text that is not JSON is refused", json: "{", reason: "is not valid JSON" },
    { desc: "a JSON array is refused", json: "[]", reason: "must be a JSON object" },
    { desc: "a spec without ociVersion is refused", json: "{}", reason: "has no ociVersion" },
    { desc: "a process that is not an object is refused", json: '{"ociVersion":"1.0.0","process":[]}', reason: "process must be an object" },
    { desc: "mounts that are not an array are refused", json: '{"ociVersion":"1.0.0","mounts":{}}', reason: "mounts must be an array" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      let err: unknown;
      try {
        parseBaseSpec(tc.json, "/etc/skiff/base.json");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as Error).message).toBe(`base_runtime_spec "/etc/skiff/base.json": ${tc.reason}`);
    });
  }
});

describe("cgroupsPath", () => {
  const cases = [
    { desc: "systemd uses slice:skiff:id", driver: "systemd" as const, parent: "kubepods-burstable-pod1.slice", want: "kubepods-burstable-pod1.slice:skiff:c1" },
    { desc: "systemd reduces a path-like parent to its slice", driver: "systemd" as const, parent: "/kubepods.slice/kubepods-pod1.slice", want: "kubepods-pod1.slice:skiff:c1" },
    { desc: "systemd falls back to system.slice", driver: "systemd" as const, parent: "", want: "system.slice:skiff:c1" },
    { desc: "cgroupfs appends the id to the parent", driver: "cgroupfs" as const, parent: "/kubepods/burstable/pod1/", want: "/kubepods/burstable/pod1/c1" },
    { desc: "cgroupfs namespaces a missing parent under /skiff", driver: "cgroupfs" as const, parent: "", want: "/skiff/c1" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(cgroupsPath(tc.driver, tc.parent, "c1")).toBe(tc.want));
});

describe("explain", () => {
  test("each named option lists the fields it changed", () => {
    const spec: Spec = { ociVersion: "1.1.0", annotations: { keep: "1" } };
    const explain = applyWithExplain(spec, [
      ["withHostname", withHostname("h")],
      ["withAnnotation", (s) => void (s.annotations = { ...s.annotations, "io.kubernetes.cri.sandbox-id": "s1" })],
      ["withCpu", (s) => void (s.linux = { resources: { cpu: { shares: 2 } } })],
      ["noop", () => {}],
    ]);
    expect(explain).toEqual([
      { opt: "withHostname", changed: ["hostname"] },
      { opt: "withAnnotation", changed: ['annotations["io.kubernetes.cri.sandbox-id"]'] },
      { opt: "withCpu", changed: ["linux"] },
      { opt: "noop", changed: [] },
    ]);
  });

  test("nested changes to existing objects are reported at the leaf", () => {
    const { explain } = explainSpec(defaultLinuxSpec(), containerSpecOpts(containerInput({ linux: { resources: { cpuShares: 100n } } })));
    const byOpt = Object.fromEntries(explain.map((e) => [e.opt, e.changed]));
    expect(byOpt.withResources).toEqual(["linux.resources.cpu"]);
    expect(byOpt.withArgs).toEqual(["process.args"]);
    expect(byOpt.withCgroupsPath).toEqual(["linux.cgroupsPath"]);
    expect(byOpt["withNamespace(network)"]).toEqual(["linux.namespaces"]);
  });

  test("compose runs options in order", () => {
    const s: Spec = { ociVersion: "1" };
    compose(withHostname("a"), withHostname("b"))(s);
    expect(s.hostname).toBe("b");
  });
});
