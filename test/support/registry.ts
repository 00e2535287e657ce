/**
 * A real OCI registry for tests: Debian's `docker-registry` (distribution 2.8) on
 * 127.0.0.1 with its storage in a temp dir, optionally with TLS (certificates from
 * {@link makeTestCA}), htpasswd basic auth, or token auth against a token server the
 * test runs. Installs the package (and openssl) on first use if missing, which needs
 * root, as integration tests have.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REGISTRY_BIN = "/usr/bin/docker-registry";

export type TestRegistry = {
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  /** `127.0.0.1:PORT`, as an image reference's registry. */
  host: string;
  port: number;
  /** Log output so far (stderr of the registry), for failing tests. */
  logs(): string;
  stop(): Promise<void>;
};

export type RegistryAuthOptions =
  | { htpasswd: { user: string; password: string } }
  | { token: { realm: string; service: string; issuer: string; rootCertBundle: string } };

export type StartRegistryOptions = {
  tls?: { certFile: string; keyFile: string };
  auth?: RegistryAuthOptions;
};

function aptInstall(pkg: string): void {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  let r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", pkg], { env, encoding: "utf8" });
  if (r.status !== 0) {
    spawnSync("apt-get", ["update", "-q"], { env, encoding: "utf8" });
    r = spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", pkg], { env, encoding: "utf8" });
  }
  if (r.status !== 0) throw new Error(`apt-get install ${pkg} failed: ${r.stderr}`);
}

/** Installs docker-registry if missing and keeps its system service from running. */
export function ensureRegistryInstalled(): void {
  if (existsSync(REGISTRY_BIN)) return;
  aptInstall("docker-registry");
  // The package enables a service on :5000; tests start their own on free ports.
  spawnSync("systemctl", ["disable", "--now", "docker-registry"], { encoding: "utf8" });
}

export function ensureOpensslInstalled(): void {
  if (spawnSync("openssl", ["version"]).status === 0) return;
  aptInstall("openssl");
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const s = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = s.port;
  s.stop(true);
  return port;
}

export async function startRegistry(opts: StartRegistryOptions = {}): Promise<TestRegistry> {
  ensureRegistryInstalled();
  const dir = mkdtempSync(join(tmpdir(), "skiff-registry-"));
  const port = freePort();
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    "  delete:",
    "    enabled: true",
    "http:",
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.tls) lines.push("  tls:", `    certificate: ${opts.tls.certFile}`, `    key: ${opts.tls.keyFile}`);
  if (opts.auth && "htpasswd" in opts.auth) {
    const { user, password } = opts.auth.htpasswd;
    // distribution checks with Go's bcrypt, which takes the $2b$ hashes Bun makes.
    const hash = await Bun.password.hash(password, { algorithm: "bcrypt", cost: 4 });
    writeFileSync(join(dir, "htpasswd"), `${user}:${hash}\n`);
    lines.push("auth:", "  htpasswd:", "    realm: skiff-test", `    path: ${join(dir, "htpasswd")}`);
  } else if (opts.auth && "token" in opts.auth) {
    const t = opts.auth.token;
    lines.push(
      "auth:",
      "  token:",
      `    realm: ${t.realm}`,
      `    service: ${t.service}`,
      `    issuer: ${t.issuer}`,
      `    rootcertbundle: ${t.rootCertBundle}`,
    );
  }
  const configFile = join(dir, "config.yml");
  writeFileSync(configFile, `${lines.join("\n")}\n`);

  const proc = Bun.spawn([REGISTRY_BIN, "serve", configFile], {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir },
  });
  let log = "";
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) log += decoder.decode(chunk, { stream: true });
  };
  void drain(proc.stdout);
  void drain(proc.stderr);

  const scheme = opts.tls ? "https" : "http";
  const url = `${scheme}://127.0.0.1:${port}`;
  const stop = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited with ${proc.exitCode}: ${log}`);
    }
    try {
      const res = await fetch(`${url}/v2/`, { tls: { rejectUnauthorized: false } });
      await res.body?.cancel();
      if (res.status === 200 || res.status === 401) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not get ready on ${url}: ${log}`);
    }
    await Bun.sleep(50);
  }
  return { url, host: `127.0.0.1:${port}`, port, logs: () => log, stop };
}

export type TestCA = {
  dir: string;
  /** The CA certificate (PEM): what a client trusts. */
  caFile: string;
  /** A server certificate for 127.0.0.1 and localhost, signed by the CA, and its key. */
  certFile: string;
  keyFile: string;
  cleanup(): void;
};

function openssl(args: string[], cwd: string): void {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** A throwaway CA and a server certificate signed by it, made with the openssl CLI. */
export function makeTestCA(): TestCA {
  ensureOpensslInstalled();
  const dir = mkdtempSync(join(tmpdir(), "skiff-ca-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(
    ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=skiff test CA",
      "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
    dir,
  );
  openssl(["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
  writeFileSync(
    join(dir, "server.ext"),
    [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
    ].join("\n"),
  );
  openssl(
    ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", "server.crt", "-days", "2", "-extfile", "server.ext"],
    dir,
  );
  return {
    dir,
    caFile: join(dir, "ca.crt"),
    certFile: join(dir, "server.crt"),
    keyFile: join(dir, "server.key"),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A self-signed EC key and certificate for signing tokens (the registry's rootcertbundle). */
export function makeSigningCert(dir: string): { certFile: string; keyFile: string } {
  ensureOpensslInstalled();
  openssl(
    ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", "token.key", "-out", "token.crt", "-days", "2", "-subj", "/CN=skiff test token issuer"],
    dir,
  );
  return { certFile: join(dir, "token.crt"), keyFile: join(dir, "token.key") };
}
