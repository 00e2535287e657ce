import { describe, expect, test } from "bun:test";
import { SecurityProfile_ProfileType as PT } from "../../../src/gen/runtime/v1/api_pb.ts";
import { FailedPreconditionError } from "../../../src/errors.ts";
import { defaultLinuxSpec } from "../../../src/oci/base-spec.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import { containerSpecOpts } from "../../../src/oci/container.ts";
import { sandboxSpecOpts } from "../../../src/oci/sandbox.ts";
import { containerInput, sandboxConfig, sandboxInput } from "./fixtures.ts";

const host = (facts: object) => ({ host: { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: true, ownOomScoreAdj: 0, ...facts } });
const build = (sc: object, facts: object = {}, over: object = {}) =>
  buildSpec(defaultLinuxSpec(), containerSpecOpts(containerInput({ linux: { securityContext: sc } }, { ...host(facts), ...over })));

describe("AppArmor", () => {
  const cases = [
    { desc: "RuntimeDefault on a host without AppArmor gives no profile", sc: { apparmor: { profileType: PT.RuntimeDefault } }, facts: {}, want: undefined },
    { desc: "RuntimeDefault with AppArmor but no default profile configured gives no profile", sc: { apparmor: { profileType: PT.RuntimeDefault } }, facts: { apparmor: true }, want: undefined },
    { desc: "RuntimeDefault gives the host's configured default profile", sc: { apparmor: { profileType: PT.RuntimeDefault } }, facts: { apparmor: true, apparmorDefaultProfile: "skiff-default" }, want: "skiff-default" },
    { desc: "an unset profile counts as RuntimeDefault", sc: {}, facts: { apparmor: true, apparmorDefaultProfile: "skiff-default" }, want: "skiff-default" },
    { desc: "Localhost gives the named profile", sc: { apparmor: { profileType: PT.Localhost, localhostRef: "k8s-nginx" } }, facts: { apparmor: true }, want: "k8s-nginx" },
    { desc: "the legacy localhost/<name> string gives the named profile", sc: { apparmorProfile: "localhost/k8s-nginx" }, facts: { apparmor: true }, want: "k8s-nginx" },
    { desc: "Unconfined gives no profile", sc: { apparmor: { profileType: PT.Unconfined } }, facts: { apparmor: true, apparmorDefaultProfile: "d" }, want: undefined },
    { desc: "the legacy unconfined string gives no profile", sc: { apparmorProfile: "unconfined" }, facts: { apparmor: true, apparmorDefaultProfile: "d" }, want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(build(tc.sc, tc.facts).process?.apparmorProfile).toBe(tc.want));

  test("Localhost on a host without AppArmor is a failed precondition naming the field", () => {
    const run = () => build({ apparmor: { profileType: PT.Localhost, localhostRef: "p" } });
    expect(run).toThrow(FailedPreconditionError);
    expect(run).toThrow("config.linux.security_context.apparmor.localhost_ref");
  });

  test("an unknown legacy string is refused", () => {
    expect(() => build({ apparmorProfile: "strict" }, { apparmor: true })).toThrow("config.linux.security_context.apparmor_profile");
  });

  test("a privileged container runs unconfined", () => {
    const pod = { sandboxConfig: sandboxConfig({ linux: { securityContext: { privileged: true } } }) };
    const spec = build({ privileged: true, apparmor: { profileType: PT.Localhost, localhostRef: "p" } }, { apparmor: true }, pod);
    expect(spec.process?.apparmorProfile).toBeUndefined();
  });
});

describe("SELinux", () => {
  const opts = { user: "system_u", role: "system_r", type: "container_t", level: "s0:c1,c2" };
  test("selinux_options become the process label and a file mount label on an SELinux host", () => {
    const spec = build({ selinuxOptions: opts }, { selinux: true });
    expect(spec.process?.selinuxLabel).toBe("system_u:system_r:container_t:s0:c1,c2");
    expect(spec.linux?.mountLabel).toBe("system_u:object_r:container_file_t:s0:c1,c2");
  });

  test("missing parts are filled with the container defaults", () => {
    expect(build({ selinuxOptions: { level: "s0:c5" } }, { selinux: true }).process?.selinuxLabel).toBe("system_u:system_r:container_t:s0:c5");
  });

  test("a host without SELinux gets no labels", () => {
    const spec = build({ selinuxOptions: opts }, {});
    expect(spec.process?.selinuxLabel).toBeUndefined();
    expect(spec.linux?.mountLabel).toBeUndefined();
  });

  test("a malformed part is refused even on a host without SELinux", () => {
    expect(() => build({ selinuxOptions: { type: "bad type:x" } })).toThrow("config.linux.security_context.selinux_options.type");
  });

  test("the sandbox gets the pod's labels", () => {
    const input = sandboxInput({ linux: { securityContext: { selinuxOptions: opts } } }, host({ selinux: true }));
    const spec = buildSpec(defaultLinuxSpec(), sandboxSpecOpts(input));
    expect(spec.process?.selinuxLabel).toBe("system_u:system_r:container_t:s0:c1,c2");
    expect(spec.linux?.mountLabel).toBe("system_u:object_r:container_file_t:s0:c1,c2");
  });
});
