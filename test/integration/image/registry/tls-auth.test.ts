/**
 * A TLS registry with htpasswd basic auth (certificates from a throwaway CA made with
 * openssl): trusted through the host's CA file, refused without it, accepted with
 * insecureSkipVerify; wrong or missing credentials give clear errors without the
 * password.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { describeError } from "../../../../src/errors.ts";
import { createRegistryClient } from "../../../../src/image/registry/client.ts";
import type { RegistryConfig } from "../../../../src/image/registry/hosts.ts";
import { RegistryAuthError, RegistryError } from "../../../../src/image/registry/registry-error.ts";
import { type TestCA, type TestRegistry, makeTestCA, startRegistry } from "../../../support/registry.ts";
import { type PushedImage, pushImage } from "./fixtures.ts";

const USER = "skiff";
const PASSWORD = "correct horse battery staple";

describe.skipIf(process.getuid?.() !== 0)("TLS registry with basic auth", () => {
  let ca: TestCA;
  let reg: TestRegistry;
  let image: PushedImage;
  const REPO = "skiff/tls";
  const auth = { username: USER, password: PASSWORD };
  const trusted = (): RegistryConfig => ({ hosts: { [reg.host]: { plainHttp: false, caFile: ca.caFile } } });

  beforeAll(async () => {
    ca = makeTestCA();
    reg = await startRegistry({ tls: { certFile: ca.certFile, keyFile: ca.keyFile }, auth: { htpasswd: { user: USER, password: PASSWORD } } });
    image = await pushImage(createRegistryClient({ config: trusted(), auth }), { registry: reg.host, repository: REPO }, { tag: "v1" });
  }, 120_000);

  afterAll(async () => {
    await reg?.stop();
    ca?.cleanup();
  });

  test("with the CA file the registry is trusted and the credentials work", async () => {
    const client = createRegistryClient({ config: trusted(), auth });
    expect(client.endpoints(reg.host)[0]!.base).toBe(`https://${reg.host}`);
    const got = await client.getManifest({ registry: reg.host, repository: REPO, tag: "v1" });
    expect(got.descriptor).toEqual(image.manifest);
  });

  test("credentials in the auth form work as well", async () => {
    const client = createRegistryClient({ config: trusted(), auth: { auth: Buffer.from(`${USER}:${PASSWORD}`).toString("base64") } });
    await client.getBlobBytes({ registry: reg.host, repository: REPO }, image.config);
  });

  test("without the CA file the handshake fails with a TLS error that names the fix", async () => {
    const client = createRegistryClient({ config: { hosts: { [reg.host]: { plainHttp: false } } }, auth });
    const err = await client.getManifest({ registry: reg.host, repository: REPO, tag: "v1" }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.message).toContain("TLS handshake failed");
    expect(err.message).toContain("caFile");
  });

  test("with insecureSkipVerify the certificate is not checked", async () => {
    const client = createRegistryClient({ config: { hosts: { [reg.host]: { plainHttp: false, insecureSkipVerify: true } } }, auth });
    const got = await client.getManifest({ registry: reg.host, repository: REPO, tag: "v1" });
    expect(got.descriptor.digest).toBe(image.manifest.digest);
  });

  test("a wrong password is an auth error that does not contain the password", async () => {
    const wrong = "wrong-password-do-not-print";
    const client = createRegistryClient({ config: trusted(), auth: { username: USER, password: wrong } });
    const err = await client.getManifest({ registry: reg.host, repository: REPO, tag: "v1" }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect(err.message).toContain("HTTP 401");
    expect(err.message).toContain("username/password");
    const everything = `${describeError(err)} ${err.stack} ${JSON.stringify(err)}`;
    expect(everything).not.toContain(wrong);
    expect(everything).not.toContain(Buffer.from(`${USER}:${wrong}`).toString("base64"));
  });

  test("no credentials is an auth error that says none were given", async () => {
    const client = createRegistryClient({ config: trusted() });
    const err = await client.getManifest({ registry: reg.host, repository: REPO, tag: "v1" }).catch((e) => e);
    expect(err).toBeInstanceOf(RegistryAuthError);
    expect(err.message).toContain("no credentials were given");
  });
});
