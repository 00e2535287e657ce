import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../../src/errors.ts";
import { isLoopbackHost, resolveEndpoints } from "../../../../src/image/registry/hosts.ts";

const summary = (e: ReturnType<typeof resolveEndpoints>) =>
  e.map((x) => ({ base: x.base, mirror: x.mirror, plainHttp: x.plainHttp, creds: x.credentials?.kind ?? "none" }));

describe("resolveEndpoints", () => {
  test("with no config a remote registry is its own HTTPS origin", () => {
    expect(summary(resolveEndpoints("ghcr.io"))).toEqual([{ base: "https://ghcr.io", mirror: false, plainHttp: false, creds: "none" }]);
  });

  test("docker.io is reached at registry-1.docker.io", () => {
    expect(resolveEndpoints("docker.io")[0]!.base).toBe("https://registry-1.docker.io");
  });

  test("mirrors come first, in order, then the origin", () => {
    const got = resolveEndpoints("docker.io", {
      mirrors: { "docker.io": { endpoints: ["http://127.0.0.1:5001", "https://mirror.example/prefix/v2/"] } },
    });
    expect(summary(got)).toEqual([
      { base: "http://127.0.0.1:5001", mirror: true, plainHttp: true, creds: "none" },
      { base: "https://mirror.example/prefix", mirror: true, plainHttp: false, creds: "none" },
      { base: "https://registry-1.docker.io", mirror: false, plainHttp: false, creds: "none" },
    ]);
  });

  test("the * mirror list applies to registries without their own", () => {
    const got = resolveEndpoints("quay.io", { mirrors: { "*": { endpoints: ["https://m.example"] }, "ghcr.io": { endpoints: ["https://g.example"] } } });
    expect(got.map((e) => e.base)).toEqual(["https://m.example", "https://quay.io"]);
  });

  test("a mirror list naming the origin does not try it twice", () => {
    const got = resolveEndpoints("r.example", { mirrors: { "r.example": { endpoints: ["https://r.example"] } } });
    expect(got).toHaveLength(1);
  });

  test("loopback registries default to plain HTTP, and a host entry can turn that off", () => {
    expect(resolveEndpoints("127.0.0.1:5000")[0]!.base).toBe("http://127.0.0.1:5000");
    expect(resolveEndpoints("localhost:5000")[0]!.plainHttp).toBe(true);
    const tls = resolveEndpoints("127.0.0.1:5000", { hosts: { "127.0.0.1:5000": { plainHttp: false, caFile: "/ca.pem" } } })[0]!;
    expect(tls).toMatchObject({ base: "https://127.0.0.1:5000", plainHttp: false, caFile: "/ca.pem" });
  });

  test("a host entry sets plain HTTP and skip-verify for a remote registry", () => {
    expect(resolveEndpoints("r.example", { hosts: { "r.example": { plainHttp: true } } })[0]!.base).toBe("http://r.example");
    expect(resolveEndpoints("r.example", { hosts: { "r.example": { insecureSkipVerify: true } } })[0]!.insecureSkipVerify).toBe(true);
  });

  test("the request's credentials go to the origin, not to mirrors", () => {
    const got = resolveEndpoints(
      "docker.io",
      { mirrors: { "docker.io": { endpoints: ["https://m.example"] } } },
      { username: "u", password: "p" },
    );
    expect(summary(got).map((e) => e.creds)).toEqual(["none", "basic"]);
  });

  test("the request's credentials go to a mirror its server address names", () => {
    const got = resolveEndpoints(
      "docker.io",
      { mirrors: { "docker.io": { endpoints: ["https://m.example"] } } },
      { username: "u", password: "p", serverAddress: "https://m.example/v1/" },
    );
    expect(got[0]!.credentials?.kind).toBe("basic");
  });

  test("a host entry's credentials go to that host, and the request's win at the origin", () => {
    const config = {
      mirrors: { "docker.io": { endpoints: ["https://m.example"] } },
      hosts: { "m.example": { username: "mu", password: "mp" }, "docker.io": { identityToken: "t" } },
    };
    expect(summary(resolveEndpoints("docker.io", config)).map((e) => e.creds)).toEqual(["basic", "refresh-token"]);
    expect(resolveEndpoints("docker.io", config, { registryToken: "rt" })[1]!.credentials).toEqual({ kind: "bearer", token: "rt" });
  });

  const bad: Array<{ desc: string; url: string; reason: RegExp }> = [
    { desc: "a mirror without a scheme is refused", url: "m.example:5000", reason: /not http/ },
    { desc: "a mirror that is not a URL is refused", url: "::", reason: /not a URL/ },
    { desc: "a mirror with credentials in its URL is refused", url: "https://u:secret@m.example", reason: /credentials/ },
    { desc: "a mirror with a query is refused", url: "https://m.example/?x=1", reason: /query/ },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      let err: unknown;
      try {
        resolveEndpoints("docker.io", { mirrors: { "docker.io": { endpoints: [tc.url] } } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe('mirrors["docker.io"].endpoints[0]');
      expect((err as Error).message).toMatch(tc.reason);
      expect((err as Error).message).not.toContain("secret");
    });
  }
});

describe("isLoopbackHost", () => {
  const cases: Array<[string, boolean]> = [
    ["localhost", true],
    ["localhost:5000", true],
    ["127.0.0.1:5000", true],
    ["127.1.2.3", true],
    ["[::1]:5000", true],
    ["10.0.0.1:5000", false],
    ["localhost.example", false],
    ["128.0.0.1", false],
  ];
  for (const [host, want] of cases) test(`${host} is ${want ? "" : "not "}loopback`, () => expect(isLoopbackHost(host)).toBe(want));
});
