import { describe, expect, test } from "bun:test";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { globMatch, passthroughAnnotations } from "../../../src/oci/annotations.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { containerInput, sandboxConfig } from "./fixtures.ts";

describe("globMatch", () => {
  const cases = [
    { desc: "an exact pattern matches only itself", p: "a.b/c", n: "a.b/c", want: true },
    { desc: "an exact pattern does not match a longer name", p: "a.b", n: "a.bc", want: false },
    { desc: "a lone star matches everything", p: "*", n: "anything/at.all", want: true },
    { desc: "a trailing star matches a prefix across dots and slashes", p: "io.katacontainers.*", n: "io.katacontainers.config/hypervisor", want: true },
    { desc: "a leading star matches a suffix", p: "*.example.com/x", n: "a.example.com/x", want: true },
    { desc: "a middle star needs both ends", p: "a*z", n: "abc", want: false },
    { desc: "stars match in order without overlapping ends", p: "ab*ba", n: "aba", want: false },
    { desc: "several stars match pieces in order", p: "a*b*c", n: "axxbyyc", want: true },
  ];
  for (const tc of cases) test(tc.desc, () => expect(globMatch(tc.p, tc.n)).toBe(tc.want));
});

describe("annotation passthrough", () => {
  test("only keys matching a pattern pass", () => {
    const got = passthroughAnnotations({ "io.kata.x": "1", "other": "2", "exact": "3" }, ["io.kata.*", "exact"]);
    expect(got).toEqual({ "exact": "3", "io.kata.x": "1" });
  });

  test("no patterns pass nothing", () => {
    expect(passthroughAnnotations({ a: "1" }, [])).toEqual({});
  });

  test("a container spec carries the matching pod and container annotations, and never lets them fake a CRI one", () => {
    const input = containerInput(
      { annotations: { "c.allowed": "yes", "c.denied": "no", "io.kubernetes.cri.container-type": "sandbox" } },
      {
        sandboxConfig: sandboxConfig({ annotations: { "p.allowed": "yes", "p.denied": "no" } }),
        handler: { podAnnotations: ["p.allowed"], containerAnnotations: ["c.a*", "io.kubernetes.*"], privilegedWithoutHostDevices: false },
      },
    );
    const ann = buildSpec(defaultLinuxSpec(), containerSpecOpts(input)).annotations ?? {};
    expect(ann["c.allowed"]).toBe("yes");
    expect(ann["p.allowed"]).toBe("yes");
    expect(ann["c.denied"]).toBeUndefined();
    expect(ann["p.denied"]).toBeUndefined();
    expect(ann["io.kubernetes.cri.container-type"]).toBe("container");
  });

  test("a container spec carries the CRI container annotations", () => {
    const ann = buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput())).annotations;
    expect(ann).toEqual({
      "io.kubernetes.cri.container-type": "container",
      "io.kubernetes.cri.container-name": "app",
      "io.kubernetes.cri.sandbox-id": "s1",
      "io.kubernetes.cri.sandbox-name": "web",
      "io.kubernetes.cri.sandbox-namespace": "shop",
      "io.kubernetes.cri.sandbox-uid": "uid-1",
      "io.kubernetes.cri.image-name": "docker.io/library/busybox:latest",
    });
  });
});
