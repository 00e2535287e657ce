/** Facts of a fresh Debian host for the install plan, to change one at a time. */
import { defaultConfig } from "../../../src/config/index.ts";
import type { BundleManifest } from "../../../src/install/bundle-format.ts";
import type { InstallManifest, RecordedFile } from "../../../src/install/install-manifest.ts";
import type { InstallFacts } from "../../../src/install/install-plan.ts";

/** A fake SHA-256 of one repeated hex digit. */
export const sha = (c: string) => c.repeat(64);

/** The record of a first install: the binary, the config and a crictl.yaml moved aside, plus `more`. */
export function firstInstall(more: RecordedFile[], dirs: string[]): InstallManifest {
  return {
    manifestVersion: 1,
    skiffVersion: "0.1.0",
    installedAt: "2026-01-01T00:00:00.000Z",
    files: [
      { path: "/usr/local/bin/skiff", role: "binary", sha256: sha("1") },
      { path: "/etc/skiff/config.toml", role: "config", sha256: sha("2") },
      { path: "/etc/crictl.yaml", role: "crictl", sha256: sha("3"), backup: "/etc/crictl.yaml.before-skiff" },
      ...more,
    ],
    dirs,
  };
}

export const BUNDLE: BundleManifest = {
  bundleVersion: 1,
  skiffVersion: "0.1.0",
  os: "linux",
  arch: "x64",
  created: "2026-01-01T00:00:00.000Z",
  binary: { size: 100, sha256: "a".repeat(64) },
  images: { size: 2048, sha256: "b".repeat(64), refs: ["registry.local/busybox:1", "registry.local/pause:3.9"] },
};

export function freshHost(): InstallFacts {
  return {
    source: { kind: "executable", path: "/home/op/skiff", version: "0.1.0" },
    binaryPath: "/usr/local/bin/skiff",
    config: defaultConfig("linux"),
    configPath: "/etc/skiff/config.toml",
    configExists: false,
    crictl: "absent",
    cniConfFiles: [],
    importDirFiles: [],
    rootIsHost: true,
    systemd: true,
  };
}
