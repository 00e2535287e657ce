/**
 * Which AppArmor profile a container runs under, from the CRI `SecurityProfile` (or the
 * deprecated `apparmor_profile` string) and two host facts: whether the host has
 * AppArmor, and the name of the profile skiff should use as `RuntimeDefault`.
 *
 * skiff does not load a profile of its own into the kernel. So `RuntimeDefault` means
 * the operator-named default profile when the host has AppArmor and one is configured,
 * and no profile otherwise: naming a profile that is not loaded would make every
 * container fail to start.
 */
import type { SecurityProfile } from "../gen/runtime/v1/api_pb.ts";
import { SecurityProfile_ProfileType } from "../wire/gen/runtime-v1.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";

export type ApparmorHost = {
  /** Whether the host kernel has AppArmor enabled (the caller reads /sys/module/apparmor). */
  apparmor?: boolean;
  /** A loaded profile to use for `RuntimeDefault`; none when absent. */
  apparmorDefaultProfile?: string;
};

/** The two fields of a container security context that choose AppArmor. */
export type ApparmorFields = { apparmor?: SecurityProfile; apparmorProfile?: string };

/**
 * `process.apparmorProfile` for a container, or undefined for none. A Localhost profile
 * on a host without AppArmor is a FailedPreconditionError: the pod asked for confinement
 * the node cannot give, and running it unconfined would be a silent downgrade.
 */
export function apparmorProfile(
  sc: ApparmorFields | undefined,
  field: string,
  host: ApparmorHost,
  privileged: boolean,
): string | undefined {
  let kind: "default" | "unconfined" | "localhost" | "unset" = "unset";
  let name = "";
  let f = `${field}.apparmor`;
  if (sc?.apparmor) {
    const p = sc.apparmor;
    if (p.profileType === SecurityProfile_ProfileType.RuntimeDefault) kind = "default";
    else if (p.profileType === SecurityProfile_ProfileType.Unconfined) kind = "unconfined";
    else if (p.profileType === SecurityProfile_ProfileType.Localhost) {
      kind = "localhost";
      name = p.localhostRef;
      f = `${field}.apparmor.localhost_ref`;
    } else throw new InvalidArgumentError(`${field}.apparmor.profile_type`, `unknown profile type ${p.profileType}`);
  } else if (sc?.apparmorProfile) {
    const legacy = sc.apparmorProfile;
    f = `${field}.apparmor_profile`;
    if (legacy === "runtime/default") kind = "default";
    else if (legacy === "unconfined") kind = "unconfined";
    else if (legacy.startsWith("localhost/")) {
      kind = "localhost";
      name = legacy.slice("localhost/".length);
    } else throw new InvalidArgumentError(f, `unknown profile "${legacy}"`);
  }
  if (kind === "localhost") {
    if (name === "" || /\s/.test(name)) throw new InvalidArgumentError(f, `"${name}" is not a profile name`);
    if (privileged) return undefined;
    if (!host.apparmor) throw new FailedPreconditionError(`${f}: profile "${name}" asked for but the host has no AppArmor`);
    return name;
  }
  // Privileged containers are unconfined (api.proto); so is everything on a host without AppArmor.
  if (privileged || !host.apparmor || kind === "unconfined") return undefined;
  // Kubernetes treats an unset profile as RuntimeDefault on AppArmor hosts.
  return host.apparmorDefaultProfile || undefined;
}
