/**
 * The authorization dance against a fake registry and token server: each CRI
 * AuthConfig form ends up as the header the registry expects, tokens are cached,
 * and no secret appears in an error.
 */
import { describe, expect, test } from "bun:test";
import { FailedPreconditionError } from "../../../../src/errors.ts";
import { createRegistryClient } from "../../../../src/image/registry/client.ts";
import type { AuthConfig } from "../../../../src/image/registry/credentials.ts";
import { digestOf } from "../../../../src/image/registry/digest.ts";
import { RegistryAuthError } from "../../../../src/image/registry/registry-error.ts";
import { createTokenCache } from "../../../../src/image/registry/token-cache.ts";
import { type FakeCall, fakeFetch } from "./fake-fetch.ts";

const REG = "r.example";
const blob = new TextEncoder().encode("config bytes");
const desc = { mediaType: "application/octet-stream", digest: digestOf(blob), size: blob.byteLength };
const repo = { registry: REG, repository: "team/app" };
const b64 = (s: string) => Buffer.from(s).toString("base64");

/** A registry that wants `want` as Authorization, behind a challenge. */
function registry(challenge: string, want: string, tokenServer?: (c: FakeCall) => Response) {
  return fakeFetch((c) => {
    if (c.url.host === "auth.example") return tokenServer!(c);
    if (c.headers.authorization !== want) {
      return new Response('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}', {
        status: 401,
        headers: { "WWW-Authenticate": challenge },
      });
    }
    return new Response(blob);
  });
}

const BEARER = 'Bearer realm="https://auth.example/token",service="reg.svc",scope="repository:team/app:pull"';

describe("authorization", () => {
  const basicCases: Array<{ desc: string; auth: AuthConfig }> = [
    { desc: "username and password answer a Basic challenge", auth: { username: "u", password: "p w" } },
    { desc: "an auth field answers a Basic challenge", auth: { auth: b64("u:p w") } },
  ];
  for (const tc of basicCases) {
    test(tc.desc, async () => {
      const f = registry('Basic realm="x"', `Basic ${b64("u:p w")}`);
      const client = createRegistryClient({ fetch: f.fetch, auth: tc.auth, config: { hosts: { [REG]: {} } } });
      expect(await client.getBlobBytes(repo, desc)).toEqual(blob);
      expect(f.calls.map((c) => c.headers.authorization ?? "none")).toEqual(["none", `Basic ${b64("u:p w")}`]);
      // Once challenged, later requests authorize up front.
      await client.getBlobBytes(repo, desc);
      expect(f.calls).toHaveLength(3);
    });
  }

  test("username and password fetch a bearer token with GET and Basic auth, once", async () => {
    const f = registry(BEARER, "Bearer tok-1", (c) => {
      expect(c.method).toBe("GET");
      expect(c.headers.authorization).toBe(`Basic ${b64("u:p")}`);
      expect(c.url.searchParams.get("service")).toBe("reg.svc");
      expect(c.url.searchParams.get("scope")).toBe("repository:team/app:pull");
      return Response.json({ token: "tok-1", expires_in: 300 });
    });
    const client = createRegistryClient({ fetch: f.fetch, auth: { username: "u", password: "p" } });
    await client.getBlobBytes(repo, desc);
    await client.getBlobBytes(repo, desc);
    expect(f.calls.filter((c) => c.url.host === "auth.example")).toHaveLength(1);
  });

  test("an identity token is exchanged with a refresh_token POST", async () => {
    const f = registry(BEARER, "Bearer access-1", (c) => {
      expect(c.method).toBe("POST");
      expect(c.headers["content-type"]).toBe("application/x-www-form-urlencoded");
      const form = new URLSearchParams(c.body);
      expect(form.get("grant_type")).toBe("refresh_token");
      expect(form.get("refresh_token")).toBe("refresh-xyz");
      expect(form.get("service")).toBe("reg.svc");
      expect(form.get("scope")).toBe("repository:team/app:pull");
      return Response.json({ access_token: "access-1", expires_in: 300 });
    });
    const client = createRegistryClient({ fetch: f.fetch, auth: { identityToken: "refresh-xyz" } });
    expect(await client.getBlobBytes(repo, desc)).toEqual(blob);
  });

  test("a registry token is sent as the bearer token without asking the token server", async () => {
    const f = registry(BEARER, "Bearer reg-tok", () => {
      throw new Error("token server must not be called");
    });
    const client = createRegistryClient({ fetch: f.fetch, auth: { registryToken: "reg-tok" } });
    expect(await client.getBlobBytes(repo, desc)).toEqual(blob);
  });

  test("anonymous pulls fetch a token without credentials", async () => {
    const f = registry(BEARER, "Bearer anon", (c) => {
      expect(c.headers.authorization).toBeUndefined();
      return Response.json({ token: "anon" });
    });
    await createRegistryClient({ fetch: f.fetch }).getBlobBytes(repo, desc);
  });

  test("an expired token is fetched again", async () => {
    let now = 1_000_000;
    let n = 0;
    const f = registry(BEARER, "Bearer t", () => (n++, Response.json({ token: "t", expires_in: 60 })));
    const client = createRegistryClient({ fetch: f.fetch, now: () => now, tokens: createTokenCache(() => now) });
    await client.getBlobBytes(repo, desc);
    now += 30_000;
    await client.getBlobBytes(repo, desc);
    expect(n).toBe(1);
    now += 60_000;
    await client.getBlobBytes(repo, desc);
    expect(n).toBe(2);
  });

  test("rejected credentials give an auth error that holds no secret", async () => {
    const f = registry(BEARER, "never", () => new Response("no", { status: 401 }));
    const client = createRegistryClient({ fetch: f.fetch, auth: { username: "u", password: "hunter2-secret" } });
    const err = await client.getBlobBytes(repo, desc).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect(err.message).toContain("rejected the username/password credentials");
    expect(JSON.stringify(err, Object.getOwnPropertyNames(err))).not.toContain("hunter2-secret");
    expect(String(err.stack)).not.toContain("hunter2-secret");
  });

  test("a Basic registry that refuses the password says so without the password", async () => {
    const f = registry('Basic realm="x"', "never");
    const client = createRegistryClient({ fetch: f.fetch, auth: { username: "u", password: "hunter2-secret" } });
    const err = await client.getBlobBytes(repo, desc).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect(err.message).toMatch(/HTTP 401.*with username\/password credentials/);
    expect(err.message).not.toContain("hunter2-secret");
    expect(err.message).not.toContain(b64("u:hunter2-secret"));
  });

  test("no credentials for a Basic registry is a clear error", async () => {
    const f = registry('Basic realm="x"', "never");
    const err = await createRegistryClient({ fetch: f.fetch }).getBlobBytes(repo, desc).catch((e) => e);
    expect(err.message).toContain("no credentials were given");
  });

  test("credentials are not sent to a plain-http token server for an https registry", async () => {
    const f = registry('Bearer realm="http://auth.example/token"', "never", () => Response.json({ token: "x" }));
    const client = createRegistryClient({ fetch: f.fetch, auth: { username: "u", password: "p" } });
    const err = await client.getBlobBytes(repo, desc).catch((e) => e);
    expect(err).toBeInstanceOf(FailedPreconditionError);
    expect(f.calls.some((c) => c.url.host === "auth.example")).toBe(false);
  });

  test("a redirect to another origin does not carry the Authorization header", async () => {
    const f = fakeFetch((c) => {
      if (c.url.host === "storage.example") return new Response(blob);
      if (c.headers.authorization !== `Basic ${b64("u:p")}`) {
        return new Response(null, { status: 401, headers: { "WWW-Authenticate": 'Basic realm="x"' } });
      }
      return new Response(null, { status: 307, headers: { Location: "https://storage.example/signed?sig=1" } });
    });
    const client = createRegistryClient({ fetch: f.fetch, auth: { username: "u", password: "p" } });
    expect(await client.getBlobBytes(repo, desc)).toEqual(blob);
    const storage = f.calls.find((c) => c.url.host === "storage.example")!;
    expect(storage.headers.authorization).toBeUndefined();
  });
});
