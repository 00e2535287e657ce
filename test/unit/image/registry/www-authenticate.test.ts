import { describe, expect, test } from "bun:test";
import { parseWwwAuthenticate } from "../../../../src/image/registry/www-authenticate.ts";

describe("parseWwwAuthenticate", () => {
  const cases: Array<{ desc: string; header: string; want: ReturnType<typeof parseWwwAuthenticate> }> = [
    {
      desc: "a Docker Hub style bearer challenge gives realm, service and scope",
      header: 'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:library/busybox:pull"',
      want: [{ scheme: "bearer", params: { realm: "https://auth.example/token", service: "registry.example", scope: "repository:library/busybox:pull" } }],
    },
    {
      desc: "a basic challenge gives its realm",
      header: 'Basic realm="Registry Realm"',
      want: [{ scheme: "basic", params: { realm: "Registry Realm" } }],
    },
    {
      desc: "several challenges in one header are all returned",
      header: 'Basic realm="a", Bearer realm="https://t/x",service=reg',
      want: [
        { scheme: "basic", params: { realm: "a" } },
        { scheme: "bearer", params: { realm: "https://t/x", service: "reg" } },
      ],
    },
    {
      desc: "quoted values keep commas, equals signs and escaped quotes",
      header: 'Bearer realm="https://t/x?a=b,c",scope="repository:a:pull,push",error="say \\"hi\\""',
      want: [{ scheme: "bearer", params: { realm: "https://t/x?a=b,c", scope: "repository:a:pull,push", error: 'say "hi"' } }],
    },
    {
      desc: "scheme and parameter names are case-insensitive and spaces around = are allowed",
      header: 'BEARER Realm = "r" , SERVICE="s"',
      want: [{ scheme: "bearer", params: { realm: "r", service: "s" } }],
    },
    {
      desc: "the first of duplicate parameters wins",
      header: 'Bearer realm="first", realm="second"',
      want: [{ scheme: "bearer", params: { realm: "first" } }],
    },
    {
      desc: "a token68 challenge is kept as a token",
      header: "Negotiate abc123==, Basic realm=x",
      want: [
        { scheme: "negotiate", params: {}, token68: "abc123==" },
        { scheme: "basic", params: { realm: "x" } },
      ],
    },
    {
      desc: "a bare scheme has no parameters",
      header: "Basic",
      want: [{ scheme: "basic", params: {} }],
    },
    { desc: "an empty header has no challenges", header: "", want: [] },
    {
      desc: "an unterminated quoted string ends the parse without throwing",
      header: 'Bearer realm="https://t, service=x',
      want: [{ scheme: "bearer", params: {} }],
    },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const got = parseWwwAuthenticate(tc.header).map((c) => ({ ...c, params: { ...c.params } }));
      expect(got).toEqual(tc.want);
    });
  }
});
