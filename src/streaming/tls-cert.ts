/**
 * The streaming server's TLS certificate (containerd's `enable_tls_streaming`): the
 * configured PEM files, or a self-signed one made at each start, as containerd makes one
 * when no files are given. The kubelet does not check the runtime's certificate (it dials
 * the URL with verification off), so self-signed is what most nodes run. Made by
 * `openssl` (node:crypto makes keys but not X.509 certificates), into a private temp dir
 * that is removed at once.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export type TlsFiles = { cert: string; key: string };

/** Reads the configured pair, or makes a self-signed one for this host. */
export async function loadOrMakeCertificate(certFile: string, keyFile: string): Promise<TlsFiles> {
  if (certFile !== "" && keyFile !== "") return { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") };
  return selfSignedCertificate();
}

export async function selfSignedCertificate(): Promise<TlsFiles> {
  const san = `subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:${os.hostname()}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-tls-"));
  try {
    const keyFile = path.join(dir, "key.pem");
    const certFile = path.join(dir, "cert.pem");
    let proc;
    try {
      proc = Bun.spawn(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650", "-subj", "/CN=skiff streaming", "-addext", san, "-keyout", keyFile, "-out", certFile],
        { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
      );
    } catch (err) {
      throw new Error("make a self-signed certificate for the streaming server: openssl is not installed (set streaming.tls_cert_file and tls_key_file, or install openssl)", { cause: err });
    }
    const [err, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    if (code !== 0) throw new Error(`make a self-signed certificate for the streaming server: openssl failed: ${err.trim() || `exit status ${code}`}`);
    return { cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
