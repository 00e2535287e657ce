import { describe, expect, test } from "bun:test";
import { SecurityProfile_ProfileType as PT } from "../../../src/gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { sandboxSpecOpts } from "../../../src/oci/sandbox.ts";
import { CLONE_NAMESPACE_FLAGS, defaultSeccompProfile } from "../../../src/oci/seccomp-default.ts";
import { parseLocalhostSeccomp, seccompLocalhostPath } from "../../../src/oci/seccomp-profile.ts";
import type { Seccomp } from "../../../src/oci/spec.ts";
import { containerInput, sandboxConfig, sandboxInput } from "./fixtures.ts";
import type { ContainerInit } from "./fixtures.ts";

const allowed = (s: Seccomp | undefined) =>
  new Set((s?.syscalls ?? []).filter((r) => r.action === "SCMP_ACT_ALLOW" && !r.args).flatMap((r) => r.names));
const build = (init: ContainerInit, over = {}) => buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput(init, over)));
const secctx = (sc: object): ContainerInit => ({ linux: { securityContext: sc } });

describe("built-in seccomp profile", () => {
  test("denies by default with EPERM and allows ordinary calls", () => {
    const p = defaultSeccompProfile();
    expect(p.defaultAction).toBe("SCMP_ACT_ERRNO");
    expect(p.defaultErrnoRet).toBe(1);
    for (const name of ["read", "openat", "execve", "futex", "socket", "epoll_wait", "exit_group"]) expect(allowed(p).has(name)).toBe(true);
    for (const name of ["mount", "unshare", "setns", "kexec_load", "init_module", "bpf", "keyctl", "add_key"]) expect(allowed(p).has(name)).toBe(false);
  });

  const arches = [
    { desc: "amd64 lists x86_64 with its 32-bit companions", arch: "amd64", want: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"] },
    { desc: "arm64 lists aarch64 with arm", arch: "arm64", want: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"] },
    { desc: "an unknown arch lists every set", arch: undefined, want: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"] },
  ];
  for (const tc of arches) test(tc.desc, () => expect(defaultSeccompProfile({ arch: tc.arch }).architectures).toEqual(tc.want));

  const caps = [
    { desc: "CAP_SYS_ADMIN allows the mount and namespace family", cap: "CAP_SYS_ADMIN", names: ["mount", "umount2", "unshare", "setns", "clone", "clone3"] },
    { desc: "CAP_SYS_TIME allows setting the clock", cap: "CAP_SYS_TIME", names: ["settimeofday", "clock_settime"] },
    { desc: "CAP_SYS_MODULE allows loading modules", cap: "CAP_SYS_MODULE", names: ["init_module", "finit_module"] },
    { desc: "CAP_SYS_CHROOT allows chroot", cap: "CAP_SYS_CHROOT", names: ["chroot"] },
  ];
  for (const tc of caps) {
    test(tc.desc, () => {
      const without = allowed(defaultSeccompProfile({ capabilities: [] }));
      const withCap = allowed(defaultSeccompProfile({ capabilities: [tc.cap] }));
      for (const n of tc.names) {
        expect(without.has(n)).toBe(false);
        expect(withCap.has(n)).toBe(true);
      }
    });
  }

  test("without CAP_SYS_ADMIN, clone is allowed only without namespace flags and clone3 gets ENOSYS", () => {
    const rules = defaultSeccompProfile().syscalls ?? [];
    expect(rules.find((r) => r.names.includes("clone"))?.args).toEqual([
      { index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" },
    ]);
    expect(rules.find((r) => r.names.includes("clone3"))).toEqual({ names: ["clone3"], action: "SCMP_ACT_ERRNO", errnoRet: 38 });
  });
});

describe("seccomp from the CRI security context", () => {
  const localhost = "/var/lib/kubelet/seccomp/audit.json";
  const profileText = JSON.stringify({ defaultAction: "SCMP_ACT_LOG", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] });
  const cases: Array<{ desc: string; sc: object; over?: object; want: (s: Seccomp | undefined) => void }> = [
    { desc: "RuntimeDefault gives the built-in profile", sc: { seccomp: { profileType: PT.RuntimeDefault } }, want: (s) => expect(s?.defaultErrnoRet).toBe(1) },
    { desc: "Unconfined gives no profile", sc: { seccomp: { profileType: PT.Unconfined } }, want: (s) => expect(s).toBeUndefined() },
    { desc: "no choice at all leaves the base's (none)", sc: {}, want: (s) => expect(s).toBeUndefined() },
    { desc: "the legacy runtime/default string gives the built-in profile", sc: { seccompProfilePath: "runtime/default" }, want: (s) => expect(s?.defaultAction).toBe("SCMP_ACT_ERRNO") },
    { desc: "the legacy docker/default string gives the built-in profile", sc: { seccompProfilePath: "docker/default" }, want: (s) => expect(s?.defaultAction).toBe("SCMP_ACT_ERRNO") },
    { desc: "the legacy unconfined string gives no profile", sc: { seccompProfilePath: "unconfined" }, want: (s) => expect(s).toBeUndefined() },
    {
      desc: "Localhost gives the caller-read profile",
      sc: { seccomp: { profileType: PT.Localhost, localhostRef: localhost } },
      over: { seccompLocalhost: { [localhost]: profileText } },
      want: (s) => expect(s).toEqual({ defaultAction: "SCMP_ACT_LOG", syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }] }),
    },
    {
      desc: "the legacy localhost/<path> string gives the caller-read profile",
      sc: { seccompProfilePath: `localhost/${localhost}` },
      over: { seccompLocalhost: { [localhost]: profileText } },
      want: (s) => expect(s?.defaultAction).toBe("SCMP_ACT_LOG"),
    },
  ];
  for (const tc of cases) test(tc.desc, () => tc.want(build(secctx(tc.sc), tc.over).linux?.seccomp));

  test("a privileged container gets no seccomp even when RuntimeDefault is asked for", () => {
    const pod = { sandboxConfig: sandboxConfig({ linux: { securityContext: { privileged: true } } }) };
    expect(build(secctx({ privileged: true, seccomp: { profileType: PT.RuntimeDefault } }), pod).linux?.seccomp).toBeUndefined();
  });

  test("the built-in profile follows the container's final capabilities", () => {
    const s = build(secctx({ seccomp: { profileType: PT.RuntimeDefault }, capabilities: { addCapabilities: ["SYS_ADMIN"] } })).linux?.seccomp;
    expect(allowed(s).has("mount")).toBe(true);
    const dropped = build(secctx({ seccomp: { profileType: PT.RuntimeDefault }, capabilities: { dropCapabilities: ["SYS_CHROOT"] } })).linux?.seccomp;
    expect(allowed(dropped).has("chroot")).toBe(false);
  });

  const bad = [
    { desc: "a relative Localhost path is refused", sc: { seccomp: { profileType: PT.Localhost, localhostRef: "audit.json" } }, field: "config.linux.security_context.seccomp.localhost_ref" },
    { desc: "an unknown profile type is refused", sc: { seccomp: { profileType: 7 } }, field: "config.linux.security_context.seccomp.profile_type" },
    { desc: "an unknown legacy string is refused", sc: { seccompProfilePath: "strict" }, field: "config.linux.security_context.seccomp_profile_path" },
    { desc: "a relative legacy localhost path is refused", sc: { seccompProfilePath: "localhost/a.json" }, field: "config.linux.security_context.seccomp_profile_path" },
    { desc: "a Localhost profile the caller did not read is refused", sc: { seccomp: { profileType: PT.Localhost, localhostRef: "/x.json" } }, field: "config.linux.security_context.seccomp.localhost_ref" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      let err: unknown;
      try {
        containerSpecOpts(containerInput(secctx(tc.sc)));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe(tc.field);
    });
  }

  test("seccompLocalhostPath names the file the caller must read", () => {
    expect(seccompLocalhostPath({ seccomp: undefined, seccompProfilePath: "localhost//p.json" }, "f")).toBe("/p.json");
    expect(seccompLocalhostPath({ seccomp: undefined, seccompProfilePath: "runtime/default" }, "f")).toBeUndefined();
  });

  test("the sandbox gets the pod-level profile, and none when the pod is privileged", () => {
    const rd = { seccomp: { profileType: PT.RuntimeDefault } };
    const spec = buildSpec(defaultLinuxSpec(), sandboxSpecOpts(sandboxInput({ linux: { securityContext: rd } })));
    expect(spec.linux?.seccomp?.defaultAction).toBe("SCMP_ACT_ERRNO");
    const priv = buildSpec(defaultLinuxSpec(), sandboxSpecOpts(sandboxInput({ linux: { securityContext: { ...rd, privileged: true } } })));
    expect(priv.linux?.seccomp).toBeUndefined();
    expect(() => sandboxSpecOpts(sandboxInput({ linux: { securityContext: { seccompProfilePath: "bogus" } } }))).toThrow(
      "config.linux.security_context.seccomp_profile_path",
    );
  });
});

describe("Localhost profiles in Docker's format", () => {
  const doc = {
    defaultAction: "SCMP_ACT_ERRNO",
    archMap: [{ architecture: "SCMP_ARCH_X86_64", subArchitectures: ["SCMP_ARCH_X86"] }],
    syscalls: [
      { names: ["read", "write"], action: "SCMP_ACT_ALLOW" },
      { name: "mount", action: "SCMP_ACT_ALLOW", includes: { caps: ["CAP_SYS_ADMIN"] } },
      { names: ["ptrace"], action: "SCMP_ACT_ALLOW", excludes: { caps: ["CAP_SYS_PTRACE"] } },
      { names: ["arch_prctl"], action: "SCMP_ACT_ALLOW", includes: { arches: ["amd64"] } },
    ],
  };
  const p = parseLocalhostSeccomp(JSON.stringify(doc), "/p.json", "f");
  const names = (caps: string[], arch?: string) => (p.resolve(caps, arch).syscalls ?? []).flatMap((r) => r.names);

  test("archMap becomes architectures", () => expect(p.resolve([], "amd64").architectures).toEqual(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"]));
  test("a rule that includes a capability applies only with it", () => {
    expect(names([], "amd64")).not.toContain("mount");
    expect(names(["CAP_SYS_ADMIN"], "amd64")).toContain("mount");
  });
  test("a rule that excludes a capability applies only without it", () => expect(names(["CAP_SYS_PTRACE"], "amd64")).not.toContain("ptrace"));
  test("an arch condition is judged against the host's arch", () => {
    expect(names([], "arm64")).not.toContain("arch_prctl");
    expect(names([], "amd64")).toContain("arch_prctl");
  });

  const bad = [
    { desc: "text that is not JSON is refused", text: "{", why: "is not valid JSON" },
    { desc: "a profile without defaultAction is refused", text: "{}", why: "has no defaultAction" },
    { desc: "a rule without names is refused", text: '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"action":"SCMP_ACT_ALLOW"}]}', why: "syscalls[0] names no syscall" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => expect(() => parseLocalhostSeccomp(tc.text, "/p.json", "f.localhost_ref")).toThrow(`f.localhost_ref: seccomp profile "/p.json" ${tc.why}`));
  }
});
