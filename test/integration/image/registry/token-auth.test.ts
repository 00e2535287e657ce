/**
 * The bearer token flow against a real registry in `auth: token` mode, with a token
 * server the test runs (token-server.ts) signing JWTs the registry verifies against
 * a certificate made with openssl. Every CRI AuthConfig form is tried.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeError } from "../../../../src/errors.ts";
import { createRegistryClient } from "../../../../src/image/registry/client.ts";
import { RegistryAuthError } from "../../../../src/image/registry/registry-error.ts";
import { createTokenCache } from "../../../../src/image/registry/token-cache.ts";
import { type TestRegistry, makeSigningCert, startRegistry } from "../../../support/registry.ts";
import { type PushedImage, pushImage } from "./fixtures.ts";
import { type TokenServer, startTokenServer } from "./token-server.ts";

const USER = "alice";
const PASSWORD = "s3cret pass";
const REFRESH = "refresh-token-for-alice";
const SERVICE = "skiff-test-registry";

describe.skipIf(process.getuid?.() !== 0)("token-auth registry", () => {
  let dir: string;
  let tokens: TokenServer;
  let reg: TestRegistry;
  let image: PushedImage;
  const REPO = "skiff/private";
  const repo = () => ({ registry: reg.host, repository: REPO });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "skiff-token-"));
    const signing = makeSigningCert(dir);
    tokens = startTokenServer({ ...signing, issuer: "skiff-test-issuer", service: SERVICE, users: { [USER]: PASSWORD }, refreshTokens: { [REFRESH]: USER } });
    reg = await startRegistry({
      auth: { token: { realm: tokens.realm, service: SERVICE, issuer: "skiff-test-issuer", rootCertBundle: signing.certFile } },
    });
    image = await pushImage(createRegistryClient({ auth: { username: USER, password: PASSWORD } }), repo(), { tag: "v1", layerSizes: [1000, 2000, 3000] });
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    tokens?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("username and password get one token for a whole pull", async () => {
    const before = tokens.requests.length;
    const client = createRegistryClient({ auth: { username: USER, password: PASSWORD }, tokens: createTokenCache() });
    const got = await client.getManifest({ ...repo(), tag: "v1" });
    expect(got.descriptor).toEqual(image.manifest);
    for (const layer of image.layers) await client.getBlobBytes(repo(), layer);
    const asked = tokens.requests.slice(before);
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatchObject({ method: "GET", user: USER, service: SERVICE, scope: `repository:${REPO}:pull` });
  });

  test("an identity token is exchanged for an access token", async () => {
    const before = tokens.requests.length;
    const client = createRegistryClient({ auth: { identityToken: REFRESH } });
    await client.getBlobBytes(repo(), image.config);
    expect(tokens.requests.slice(before)).toEqual([
      { method: "POST", grant: "refresh_token", user: USER, service: SERVICE, scope: `repository:${REPO}:pull` },
    ]);
  });

  test("a registry token is used as the bearer token as is", async () => {
    const res = await fetch(`${tokens.realm}?service=${SERVICE}&scope=repository:${REPO}:pull`, {
      headers: { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` },
    });
    const { token } = (await res.json()) as { token: string };
    const before = tokens.requests.length;
    const client = createRegistryClient({ auth: { registryToken: token } });
    await client.getBlobBytes(repo(), image.config);
    expect(tokens.requests.length).toBe(before);
  });

  test("a wrong password is refused by the token server, and the error holds no password", async () => {
    const wrong = "not-the-password-xyz";
    const client = createRegistryClient({ auth: { username: USER, password: wrong } });
    const err = await client.getManifest({ ...repo(), tag: "v1" }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect(err.message).toContain("rejected the username/password credentials");
    expect(`${describeError(err)} ${err.stack}`).not.toContain(wrong);
  });

  test("anonymous pulls get a token without access, and a clear denial", async () => {
    const err = await createRegistryClient().getManifest({ ...repo(), tag: "v1" }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect(err.message).toContain("no credentials were given");
  });
});
