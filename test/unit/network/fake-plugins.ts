/**
 * Fake CNI plugins for unit tests: small shell scripts in a temp bin dir that log their
 * CNI_* environment and stdin per call, then print a canned result or error.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type FakeBehavior = {
  /** Printed on ADD (a CNI result). */
  result?: object;
  /** Printed with exit 1 when the command is `failOn`. */
  error?: { code?: number; msg?: string; details?: string } | string;
  failOn?: "ADD" | "DEL" | "CHECK";
  /** exec sleep N seconds (to test deadlines). */
  sleep?: number;
};

export type Call = { type: string; env: Record<string, string>; stdin: Record<string, any> };

export type FakeBin = {
  root: string;
  binDir: string;
  confDir: string;
  cacheDir: string;
  plugin(type: string, b?: FakeBehavior): void;
  calls(): Call[];
  clearCalls(): void;
  cleanup(): void;
};

const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

export function makeFakeBin(): FakeBin {
  const root = mkdtempSync(join(tmpdir(), "skiff-cni-test-"));
  const binDir = join(root, "bin");
  const logDir = join(root, "log");
  const confDir = join(root, "net.d");
  const cacheDir = join(root, "cache");
  for (const d of [binDir, logDir]) mkdirSync(d);
  return {
    root,
    binDir,
    confDir,
    cacheDir,
    plugin(type, b = {}) {
      const lines = [
        "#!/bin/sh",
        `f=${sh(logDir)}/$(date +%s%N)-$$`,
        `echo ${sh(type)} > "$f.type"`,
        `env | grep '^CNI_' > "$f.env"`,
        `cat > "$f.stdin"`,
      ];
      if (b.sleep) lines.push(`exec sleep ${b.sleep}`);
      if (b.error !== undefined) {
        const out = typeof b.error === "string" ? b.error : JSON.stringify({ cniVersion: "1.0.0", ...b.error });
        lines.push(`if [ "$CNI_COMMAND" = ${b.failOn ?? "ADD"} ]; then echo ${sh(out)}; echo 'plugin stderr text' >&2; exit 1; fi`);
      }
      if (b.result) lines.push(`if [ "$CNI_COMMAND" = ADD ]; then echo ${sh(JSON.stringify(b.result))}; fi`);
      lines.push("exit 0");
      const p = join(binDir, type);
      writeFileSync(p, `${lines.join("\n")}\n`);
      chmodSync(p, 0o755);
    },
    calls() {
      const prefixes = readdirSync(logDir)
        .filter((n) => n.endsWith(".type"))
        .map((n) => n.slice(0, -5))
        .sort();
      return prefixes.map((p) => {
        const env: Record<string, string> = {};
        for (const line of readFileSync(join(logDir, `${p}.env`), "utf8").split("\n")) {
          const i = line.indexOf("=");
          if (i > 0) env[line.slice(0, i)] = line.slice(i + 1);
        }
        return {
          type: readFileSync(join(logDir, `${p}.type`), "utf8").trim(),
          env,
          stdin: JSON.parse(readFileSync(join(logDir, `${p}.stdin`), "utf8")),
        };
      });
    },
    clearCalls() {
      rmSync(logDir, { recursive: true, force: true });
      mkdirSync(logDir);
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A 1.0.0 bridge-like result with the given addresses (CIDRs). */
export function ipResult(version: string, ...cidrs: string[]): object {
  return {
    cniVersion: version,
    interfaces: [{ name: "eth0", mac: "0a:58:0a:58:00:02", sandbox: "/run/netns/x" }],
    ips: cidrs.map((address) => ({ address, interface: 0, ...(version.startsWith("0.") ? { version: address.includes(":") ? "6" : "4" } : {}) })),
  };
}

/** Writes a conflist file into confDir. */
export function writeConflist(confDir: string, file: string, conf: object): void {
  mkdirSync(confDir, { recursive: true });
  writeFileSync(join(confDir, file), JSON.stringify(conf));
}
