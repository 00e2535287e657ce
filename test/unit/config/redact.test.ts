import { describe, expect, test } from "bun:test";
import { defaultConfig, parseConfig, REDACTED, redactConfig } from "../../../src/config/index.ts";

const withSecrets = () =>
  parseConfig(
    [
      '[registry.hosts."a.example"]',
      'username = "alice"',
      'password = "hunter2"',
      'identity_token = "tok"',
      '[registry.hosts."b.example:5000"]',
      'auth = "Ym9iOnMzY3JldA=="',
      '[registry.hosts."c.example"]',
      "plain_http = true",
      "",
    ].join("\n"),
    "<test>",
    "linux",
  );

describe("redactConfig", () => {
  const cases = [
    { desc: "a password is replaced", host: "a.example", key: "password" as const, want: REDACTED },
    { desc: "an identity token is replaced", host: "a.example", key: "identityToken" as const, want: REDACTED },
    { desc: "an auth string is replaced", host: "b.example:5000", key: "auth" as const, want: REDACTED },
    { desc: "a user name is kept, since it is not a secret", host: "a.example", key: "username" as const, want: "alice" },
    { desc: "an unset secret stays empty, so the output shows it is unset", host: "c.example", key: "password" as const, want: "" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(redactConfig(withSecrets()).registry.hosts[tc.host]?.[tc.key]).toBe(tc.want);
    });
  }

  test("the input config is left untouched", () => {
    const c = withSecrets();
    redactConfig(c);
    expect(c.registry.hosts["a.example"]?.password).toBe("hunter2");
  });

  test("no secret appears anywhere in the JSON of the redacted config", () => {
    const json = JSON.stringify(redactConfig(withSecrets()));
    for (const secret of ["hunter2", "tok\"", "Ym9iOnMzY3JldA=="]) expect(json).not.toContain(secret);
  });

  test("a config without registry hosts comes back equal", () => {
    expect(redactConfig(defaultConfig("linux"))).toEqual(defaultConfig("linux"));
  });
});
