/**
 * A token server for distribution's `auth: token` mode
 * (https://distribution.github.io/distribution/spec/auth/token/), for tests: it checks
 * Basic credentials or an OAuth2 refresh token and signs an ES256 JWT that grants the
 * scope asked for. The registry trusts the signing certificate (its rootcertbundle)
 * and finds the key by the JWT's `kid`, which must be the libtrust key id of the
 * certificate's public key.
 */
import { X509Certificate, createPrivateKey, randomUUID, sign } from "node:crypto";
import { readFileSync } from "node:fs";

export type TokenServerOptions = {
  certFile: string;
  keyFile: string;
  issuer: string;
  service: string;
  users: Record<string, string>;
  /** Refresh tokens (CRI identity_token) and the user each stands for. */
  refreshTokens?: Record<string, string>;
};

export type TokenServer = {
  realm: string;
  requests: Array<{ method: string; scope: string | null; service: string | null; user?: string; grant?: string }>;
  stop(): void;
};

const b64url = (b: Uint8Array | string) => Buffer.from(b).toString("base64url");

/** libtrust's key id: SHA-256 of the DER public key, first 240 bits, base32, in groups of four. */
export function libtrustKeyId(spkiDer: Uint8Array): string {
  const sum = new Bun.CryptoHasher("sha256").update(spkiDer).digest().subarray(0, 30);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const byte of sum) bits += byte.toString(2).padStart(8, "0");
  let s = "";
  for (let i = 0; i + 5 <= bits.length; i += 5) s += alphabet[Number.parseInt(bits.slice(i, i + 5), 2)];
  return s.match(/.{4}/g)!.join(":");
}

export function startTokenServer(opts: TokenServerOptions): TokenServer {
  const cert = new X509Certificate(readFileSync(opts.certFile));
  const kid = libtrustKeyId(cert.publicKey.export({ type: "spki", format: "der" }));
  const key = createPrivateKey(readFileSync(opts.keyFile));
  const requests: TokenServer["requests"] = [];

  const issue = (user: string, scope: string | null) => {
    const access = [];
    const m = scope ? /^repository:([^:]+):(.+)$/.exec(scope) : null;
    if (m) access.push({ type: "repository", name: m[1], actions: m[2]!.split(",") });
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: "JWT", alg: "ES256", kid }));
    const claims = b64url(
      JSON.stringify({ iss: opts.issuer, sub: user, aud: opts.service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access }),
    );
    const sig = sign("sha256", Buffer.from(`${header}.${claims}`), { key, dsaEncoding: "ieee-p1363" });
    return `${header}.${claims}.${b64url(sig)}`;
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      if (req.method === "POST") {
        const form = new URLSearchParams(await req.text());
        const user = opts.refreshTokens?.[form.get("refresh_token") ?? ""];
        requests.push({ method: "POST", scope: form.get("scope"), service: form.get("service"), grant: form.get("grant_type") ?? "", ...(user && { user }) });
        if (form.get("grant_type") !== "refresh_token" || !user) return new Response("denied", { status: 401 });
        return Response.json({ access_token: issue(user, form.get("scope")), expires_in: 300 });
      }
      const scope = url.searchParams.get("scope");
      const service = url.searchParams.get("service");
      const auth = req.headers.get("authorization");
      if (!auth) {
        requests.push({ method: "GET", scope, service });
        // Anonymous: a token that grants nothing.
        return Response.json({ token: issue("", null), expires_in: 300 });
      }
      const [user, password] = Buffer.from(auth.replace(/^Basic /, ""), "base64").toString().split(":");
      requests.push({ method: "GET", scope, service, user: user ?? "" });
      if (!user || opts.users[user] !== password) return new Response("bad credentials", { status: 401 });
      return Response.json({ token: issue(user, scope), expires_in: 300 });
    },
  });
  return { realm: `http://127.0.0.1:${server.port}/token`, requests, stop: () => void server.stop(true) };
}
