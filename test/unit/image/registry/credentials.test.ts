import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../../src/errors.ts";
import {
  basicAuthorization,
  credentialsFingerprint,
  credentialsFromAuthConfig,
  describeCredentials,
  serverAddressHost,
} from "../../../../src/image/registry/credentials.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("credentialsFromAuthConfig", () => {
  const cases: Array<{ desc: string; input: Parameters<typeof credentialsFromAuthConfig>[0]; want: ReturnType<typeof credentialsFromAuthConfig> }> = [
    { desc: "no AuthConfig is anonymous", input: undefined, want: undefined },
    { desc: "an empty AuthConfig is anonymous", input: {}, want: undefined },
    { desc: "username and password are basic credentials", input: { username: "u", password: "p" }, want: { kind: "basic", username: "u", password: "p" } },
    { desc: "auth is base64 of user:password", input: { auth: b64("u:p") }, want: { kind: "basic", username: "u", password: "p" } },
    { desc: "a password in auth may contain colons", input: { auth: b64("u:p:q") }, want: { kind: "basic", username: "u", password: "p:q" } },
    { desc: "username wins over auth", input: { username: "a", password: "b", auth: b64("u:p") }, want: { kind: "basic", username: "a", password: "b" } },
    { desc: "an identity token is a refresh token", input: { username: "<token>", identityToken: "it" }, want: { kind: "refresh-token", username: "<token>", refreshToken: "it" } },
    { desc: "a registry token is a bearer token and wins over everything", input: { username: "u", password: "p", identityToken: "it", registryToken: "rt" }, want: { kind: "bearer", token: "rt" } },
  ];
  for (const tc of cases) test(tc.desc, () => expect(credentialsFromAuthConfig(tc.input)).toEqual(tc.want));

  test("an auth that is not base64 of user:password names the field but not the value", () => {
    for (const auth of ["not base64!!", b64("nocolon-secretvalue")]) {
      let err: unknown;
      try {
        credentialsFromAuthConfig({ auth }, "auth");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe("auth.auth");
      expect((err as Error).message).not.toContain(auth);
      expect((err as Error).message).not.toContain("secretvalue");
    }
  });

  test("a password without a username is refused", () => {
    expect(() => credentialsFromAuthConfig({ password: "p" })).toThrow(/username/);
  });
});

describe("helpers", () => {
  test("basic authorization is base64 of UTF-8 user:password", () => {
    expect(basicAuthorization("u", "pä")).toBe(`Basic ${Buffer.from("u:pä", "utf8").toString("base64")}`);
  });
  test("descriptions name the form, never the secret", () => {
    expect(describeCredentials({ kind: "basic", username: "u", password: "hunter2" })).toBe("username/password");
    expect(describeCredentials(undefined)).toBe("anonymous");
  });
  test("fingerprints differ by secret and do not contain it", () => {
    const a = credentialsFingerprint({ kind: "basic", username: "u", password: "hunter2" });
    const b = credentialsFingerprint({ kind: "basic", username: "u", password: "hunter3" });
    expect(a).not.toBe(b);
    expect(a).not.toContain("hunter2");
  });
  test("server addresses reduce to hosts, with Docker Hub's aliases folded", () => {
    expect(serverAddressHost("https://index.docker.io/v1/")).toBe("docker.io");
    expect(serverAddressHost("m.example:5000")).toBe("m.example:5000");
  });
});
