/**
 * The registry credentials `skiff pull` sends in PullImage's AuthConfig, from the same
 * flags crictl takes (cri-tools cmd/crictl/image.go, `getAuth`): `--creds user:pass`,
 * `--auth BASE64(user:pass)`, or the tokens a credential helper hands out.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { AuthConfigSchema } from "../gen/runtime/v1/api_pb.ts";
import { UsageError } from "./client-args.ts";

export type PullAuthFlags = {
  creds?: string;
  auth?: string;
  identityToken?: string;
  registryToken?: string;
};

export type PullAuth = MessageInitShape<typeof AuthConfigSchema>;

/** Splits `user:pass` at the first ":" (a password may hold colons, a user may not). */
function userPass(text: string, flag: string): { username: string; password: string } {
  const colon = text.indexOf(":");
  if (colon <= 0) throw new UsageError(`${flag} must be USER:PASSWORD`);
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** The AuthConfig for the flags given, or undefined when none was. */
export function pullAuthFrom(flags: PullAuthFlags): PullAuth | undefined {
  const { creds, auth, identityToken, registryToken } = flags;
  if (creds && auth) throw new UsageError("use --creds or --auth, not both");
  const out: PullAuth = {};
  if (creds) Object.assign(out, userPass(creds, "--creds"));
  if (auth) {
    // Checked here so a typo is a usage error, not a registry's 401; sent as given.
    const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(auth) ? Buffer.from(auth, "base64").toString("utf8") : "";
    userPass(decoded, "--auth (decoded)");
    out.auth = auth;
  }
  if (identityToken) out.identityToken = identityToken;
  if (registryToken) out.registryToken = registryToken;
  return Object.keys(out).length > 0 ? out : undefined;
}
