/** Through `previewSpec`, the same function `skiff spec` runs, from crictl-style JSON. */
import { describe, expect, test } from "bun:test";
import { fromJson } from "@bufbuild/protobuf";
import type { JsonValue } from "@bufbuild/protobuf";
import { ContainerConfigSchema, PodSandboxConfigSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { crictlEnvToProtoJson } from "../../../src/cli/spec.ts";
import { parseImageConfig } from "../../../src/image/manifest.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { previewSpec } from "../../../src/oci/spec-preview.ts";
import type { SpecPreviewRequest } from "../../../src/oci/spec-preview.ts";

const podJson = {
  metadata: { name: "web", namespace: "shop", uid: "u1", attempt: 1 },
  hostname: "web-0",
  log_directory: "/var/log/pods/shop_web_u1",
  annotations: { "io.katacontainers.vcpus": "2", "other": "x" },
  linux: { cgroup_parent: "/kubepods/podu1", resources: { cpu_shares: 1024, memory_limit_in_bytes: 536870912 } },
};
const ctrJson = {
  metadata: { name: "app" },
  image: { image: "docker.io/library/nginx:1" },
  args: ["-g", "daemon off;"],
  envs: [{ key: "MODE", value: "prod" }],
  linux: { security_context: { seccomp: { profile_type: "RuntimeDefault" } } },
};
const imageJson = {
  architecture: "amd64",
  os: "linux",
  config: { Env: ["PATH=/usr/sbin:/usr/bin", "NGINX=1"], Entrypoint: ["/docker-entrypoint.sh"], Cmd: ["nginx"], Volumes: { "/var/cache/nginx": {} } },
  rootfs: { type: "layers", diff_ids: [] },
};

function request(over: Partial<SpecPreviewRequest> = {}): SpecPreviewRequest {
  return {
    pod: fromJson(PodSandboxConfigSchema, podJson as JsonValue),
    base: defaultLinuxSpec(),
    handler: { podAnnotations: ["io.katacontainers.*"], containerAnnotations: [], privilegedWithoutHostDevices: false },
    host: { cgroupDriver: "cgroupfs", canLowerOomScoreAdj: true, ownOomScoreAdj: 0, arch: "amd64" },
    dirs: { root: "/var/lib/skiff", state: "/run/skiff" },
    ...over,
  };
}
const container = (json: object = ctrJson) => fromJson(ContainerConfigSchema, crictlEnvToProtoJson(json as JsonValue));
const image = parseImageConfig(new TextEncoder().encode(JSON.stringify(imageJson)));

describe("spec preview of a sandbox", () => {
  test("the sandbox spec carries the resource annotations, passthrough and placeholders", () => {
    const { spec } = previewSpec(request());
    expect(spec.annotations?.["io.kubernetes.cri.sandbox-id"]).toBe("SANDBOX_ID");
    expect(spec.annotations?.["io.kubernetes.cri.sandbox-memory"]).toBe("536870912");
    expect(spec.annotations?.["io.kubernetes.cri.sandbox-cpu-shares"]).toBe("1024");
    expect(spec.annotations?.["io.katacontainers.vcpus"]).toBe("2");
    expect(spec.annotations?.other).toBeUndefined();
    expect(spec.process?.args).toEqual(["/catatonit", "-P"]);
    expect(spec.hostname).toBe("web-0");
    expect(spec.linux?.cgroupsPath).toBe("/kubepods/podu1/SANDBOX_ID");
    expect(spec.linux?.namespaces?.find((n) => n.type === "network")?.path).toBe("/run/skiff/ns/net/SANDBOX_ID");
  });

  test("a sandbox image's entrypoint and cmd replace catatonit", () => {
    expect(previewSpec(request({ image })).spec.process?.args).toEqual(["/docker-entrypoint.sh", "nginx"]);
  });
});

describe("spec preview of a container", () => {
  test("env, args, volumes, seccomp and cgroups come out as a real container would get them", () => {
    const base = defaultLinuxSpec();
    const frozen = structuredClone(base);
    const { spec, explain } = previewSpec(request({ container: container(), image, base }));
    expect(base).toEqual(frozen);
    expect(spec.process?.env).toEqual(["PATH=/usr/sbin:/usr/bin", "HOSTNAME=web-0", "NGINX=1", "MODE=prod"]);
    expect(spec.process?.args).toEqual(["/docker-entrypoint.sh", "-g", "daemon off;"]);
    expect(spec.linux?.cgroupsPath).toBe("/kubepods/podu1/CONTAINER_ID");
    expect(spec.linux?.seccomp?.architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]);
    expect(spec.mounts?.find((m) => m.destination === "/var/cache/nginx")?.source).toStartWith("/var/lib/skiff/containers/CONTAINER_ID/volumes/");
    expect(spec.mounts?.find((m) => m.destination === "/etc/hosts")?.source).toBe("/var/lib/skiff/sandboxes/SANDBOX_ID/hosts");
    expect(spec.hostname).toBeUndefined();
    expect(explain.find((e) => e.opt === "withSeccomp")?.changed).toEqual(["linux.seccomp"]);
  });

  test("the systemd driver gives a slice path", () => {
    const host = { cgroupDriver: "systemd" as const, canLowerOomScoreAdj: true, ownOomScoreAdj: 0 };
    expect(previewSpec(request({ container: container(), image, host })).spec.linux?.cgroupsPath).toBe("podu1:skiff:CONTAINER_ID");
  });

  test("a mount with a relative host path is refused, naming the field", () => {
    const bad = { ...ctrJson, mounts: [{ container_path: "/data", host_path: "data" }] };
    expect(() => previewSpec(request({ container: container(bad), image }))).toThrow("config.mounts[0].host_path");
  });

  test("crictl's plain env strings survive the bytes field", () => {
    expect(crictlEnvToProtoJson({ envs: [{ key: "A", value: "é=1" }] } as JsonValue)).toEqual({ envs: [{ key: "A", value: Buffer.from("é=1").toString("base64") }] });
  });
});
