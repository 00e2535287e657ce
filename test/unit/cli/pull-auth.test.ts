import { describe, expect, test } from "bun:test";
import { UsageError } from "../../../src/cli/client-args.ts";
import { pullAuthFrom } from "../../../src/cli/pull-auth.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("pullAuthFrom", () => {
  const ok = [
    { desc: "no flags send no AuthConfig", flags: {}, want: undefined },
    { desc: "--creds splits at the first colon", flags: { creds: "me:pa:ss" }, want: { username: "me", password: "pa:ss" } },
    { desc: "--auth is sent as given", flags: { auth: b64("me:secret") }, want: { auth: b64("me:secret") } },
    { desc: "tokens are passed through", flags: { identityToken: "id", registryToken: "rt" }, want: { identityToken: "id", registryToken: "rt" } },
  ];
  for (const tc of ok) test(tc.desc, () => expect(pullAuthFrom(tc.flags)).toEqual(tc.want as never));

  const bad = [
    { desc: "--creds without a password is a usage error", flags: { creds: "me" } },
    { desc: "--creds with an empty user is a usage error", flags: { creds: ":pw" } },
    { desc: "--auth that is not base64 is a usage error", flags: { auth: "not base64!" } },
    { desc: "--auth that decodes to no user:pass is a usage error", flags: { auth: b64("justme") } },
    { desc: "--creds and --auth together are a usage error", flags: { creds: "a:b", auth: b64("a:b") } },
  ];
  for (const tc of bad) test(tc.desc, () => expect(() => pullAuthFrom(tc.flags)).toThrow(UsageError));
});
