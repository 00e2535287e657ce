import { describe, expect, test } from "bun:test";
import { MountPropagation, NamespaceMode, SupplementalGroupsPolicy } from "../../../src/gen/runtime/v1/api_pb.ts";
import { defaultLinuxSpec, parseBaseSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { imageVolumePaths, sanitizeVolumeName } from "../../../src/oci/image-volumes.ts";
import { containerInput, imageConfig } from "./fixtures.ts";
import type { ContainerInit } from "./fixtures.ts";

const build = (init: ContainerInit, over: object = {}) => buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput(init, over)));

describe("image volumes", () => {
  const image = { name: "x", spec: imageConfig({ cmd: ["sh"], volumes: ["/var/lib/data", "/cache/", "/var/log"] }) };

  test("each volume is bound from a private dir unless a CRI mount covers it", () => {
    const spec = build({ mounts: [{ containerPath: "/var/log", hostPath: "/srv/log" }] }, { image, imageVolumesDir: "/vols" });
    const data = spec.mounts?.find((m) => m.destination === "/var/lib/data");
    expect(data).toEqual({ destination: "/var/lib/data", type: "bind", source: `/vols/${sanitizeVolumeName("/var/lib/data")}`, options: ["rbind", "rprivate", "rw"] });
    expect(spec.mounts?.find((m) => m.destination === "/cache")?.source).toBe(`/vols/${sanitizeVolumeName("/cache")}`);
    expect(spec.mounts?.filter((m) => m.destination === "/var/log").map((m) => m.source)).toEqual(["/srv/log"]);
  });

  test("without imageVolumesDir no volume is mounted", () => {
    const spec = build({}, { image });
    expect(spec.mounts?.some((m) => m.destination === "/var/lib/data")).toBe(false);
  });

  const cases = [
    { desc: "a volume under a CRI mount is left to that mount", volumes: ["/data/sub"], mounts: ["/data"], want: [] as string[] },
    { desc: "a CRI mount under a volume does not cover it", volumes: ["/data"], mounts: ["/data/sub"], want: ["/data"] },
    { desc: "a volume is normalised, and repeats and the root are dropped", volumes: ["/a/../b/", "/b", "/"], mounts: [], want: ["/b"] },
    { desc: "a CRI mount at / covers everything", volumes: ["/x"], mounts: ["/"], want: [] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const config = containerInput({ mounts: tc.mounts.map((p) => ({ containerPath: p, hostPath: "/h" })) }).config;
      expect(imageVolumePaths(imageConfig({ volumes: tc.volumes }), config).map((v) => v.containerPath)).toEqual(tc.want);
    });
  }

  test("names differ for paths that read alike and stay inside the dir", () => {
    expect(sanitizeVolumeName("/a_b")).not.toBe(sanitizeVolumeName("/a/b"));
    expect(sanitizeVolumeName("/../../etc")).not.toContain("/");
  });

  test("a relative volume path from the image is refused", () => {
    const config = containerInput().config;
    expect(() => imageVolumePaths(imageConfig({ volumes: ["data"] }), config)).toThrow("image.config.Volumes");
  });
});

describe("hostname and PATH", () => {
  test("a container never sets a hostname, even when the base has one: it joins the pod's UTS namespace", () => {
    const base = parseBaseSpec(JSON.stringify({ ociVersion: "1.1.0", hostname: "base" }), "b.json");
    const spec = buildSpec(base, containerSpecOpts(containerInput()));
    expect(spec.hostname).toBeUndefined();
    expect(spec.process?.env).toContain("HOSTNAME=web-host");
  });

  test("the default PATH is added when neither base nor image has one", () => {
    const base = parseBaseSpec(JSON.stringify({ ociVersion: "1.1.0", process: { user: { uid: 0, gid: 0 }, cwd: "/", env: ["A=1"] } }), "b.json");
    const spec = buildSpec(base, containerSpecOpts(containerInput()));
    expect(spec.process?.env?.[0]).toStartWith("PATH=/usr/local/sbin:");
    const withPath = containerInput({}, { image: { name: "x", spec: imageConfig({ cmd: ["sh"], env: ["PATH=/opt/bin"] }) } });
    expect(buildSpec(base, containerSpecOpts(withPath)).process?.env?.filter((e) => e.startsWith("PATH="))).toEqual(["PATH=/opt/bin"]);
  });
});

describe("rootfs propagation", () => {
  const cases = [
    { desc: "private mounts leave the rootfs propagation alone", props: [MountPropagation.PROPAGATION_PRIVATE], want: undefined },
    { desc: "a host-to-container mount makes the rootfs rslave", props: [MountPropagation.PROPAGATION_HOST_TO_CONTAINER], want: "rslave" },
    { desc: "a bidirectional mount makes the rootfs rshared, over rslave", props: [MountPropagation.PROPAGATION_HOST_TO_CONTAINER, MountPropagation.PROPAGATION_BIDIRECTIONAL], want: "rshared" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const mounts = tc.props.map((propagation, i) => ({ containerPath: `/m${i}`, hostPath: `/h${i}`, propagation }));
      expect(build({ mounts }).linux?.rootfsPropagation).toBe(tc.want);
    });
  }
});

describe("pid namespace TARGET", () => {
  test("TARGET joins the pid namespace the caller resolved for target_id", () => {
    const spec = build({ linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.TARGET, targetId: "c0" } } } }, {
      namespacePaths: { net: "/n", ipc: "/i", uts: "/u", pid: "/proc/77/ns/pid" },
    });
    expect(spec.linux?.namespaces?.find((n) => n.type === "pid")).toEqual({ type: "pid", path: "/proc/77/ns/pid" });
  });

  test("TARGET without target_id is refused", () => {
    expect(() => build({ linux: { securityContext: { namespaceOptions: { pid: NamespaceMode.TARGET } } } })).toThrow("namespace_options.target_id");
  });
});

describe("users and groups", () => {
  const resolved = { uid: 101, gid: 101, additionalGids: [4, 27] };
  const cases = [
    { desc: "run_as_username uses the caller's lookup with the image's groups and the requested ones (Merge)", sc: { runAsUsername: "app", supplementalGroups: [500n] }, want: { uid: 101, gid: 101, additionalGids: [4, 27, 101, 500] } },
    { desc: "policy Strict drops the image's groups", sc: { runAsUsername: "app", supplementalGroups: [500n], supplementalGroupsPolicy: SupplementalGroupsPolicy.Strict }, want: { uid: 101, gid: 101, additionalGids: [101, 500] } },
    { desc: "run_as_group applies over the looked-up user's group", sc: { runAsUsername: "app", runAsGroup: { value: 9n } }, want: { uid: 101, gid: 9, additionalGids: [4, 9, 27] } },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(build({ linux: { securityContext: tc.sc } }, { user: resolved }).process?.user).toEqual(tc.want));
  }

  const bad = [
    { desc: "run_as_username without the caller's lookup is refused", sc: { runAsUsername: "app" }, field: "run_as_username" },
    { desc: "run_as_user together with run_as_username is refused", sc: { runAsUser: { value: 1n }, runAsUsername: "app" }, field: "run_as_username" },
    { desc: "run_as_group alone is refused", sc: { runAsGroup: { value: 1n } }, field: "run_as_group" },
  ];
  for (const tc of bad) test(tc.desc, () => expect(() => build({ linux: { securityContext: tc.sc } })).toThrow(`config.linux.security_context.${tc.field}`));
});
