/**
 * What `skiff install` does, worked out from facts about the target without touching it.
 * Pure: install-facts.ts reads the facts, apply-steps.ts does the steps.
 */
import * as path from "node:path";
import { type Config, defaultConfigToml } from "../config/index.ts";
import { DEFAULT_CONFLIST_FILE, defaultConflist } from "../network/default-conflist.ts";
import type { BundleManifest } from "./bundle-format.ts";
import { BUNDLE_BINARY, BUNDLE_IMAGES, bundleImagesName } from "./bundle-format.ts";
import { INSTALL_MANIFEST_PATH, type InstallManifest } from "./install-manifest.ts";
import type { Step } from "./steps.ts";
import { UNIT_NAME, UNIT_PATH, crictlConfig, systemdUnit } from "./systemd-unit.ts";

export const CRICTL_PATH = "/etc/crictl.yaml";
/** Where `--force` keeps an /etc/crictl.yaml that was there before skiff. */
export const CRICTL_BACKUP_PATH = "/etc/crictl.yaml.before-skiff";

/** Where the skiff being installed comes from. */
export type InstallSource =
  /** The running executable (`process.execPath` of the compiled skiff). */
  | { kind: "executable"; path: string; version: string }
  | { kind: "bundle"; file: string; manifest: BundleManifest };

export type InstallFacts = {
  source: InstallSource;
  /** `<prefix>/bin/skiff`. */
  binaryPath: string;
  /** The config skiff will run with: the one at `configPath` if it exists, else the defaults. */
  config: Config;
  configPath: string;
  configExists: boolean;
  /** /etc/crictl.yaml: missing, written by an earlier skiff install (unchanged), or someone else's. */
  crictl: "absent" | "ours" | "theirs";
  /** Network config files already in `cni.conf_dir`. */
  cniConfFiles: string[];
  /** File names already in `image.import_dir`. */
  importDirFiles: string[];
  /** Installing onto the running host (`--root /`), not into another tree. */
  rootIsHost: boolean;
  /** systemd runs the host (/run/systemd/system exists); always false for another root. */
  systemd: boolean;
  previous?: InstallManifest;
};

export type InstallOptions = {
  /** Replace an /etc/crictl.yaml that is not skiff's (keeping it as a backup). */
  force: boolean;
  /** Start (or restart) skiff once installed. */
  start: boolean;
};

function binarySteps(f: InstallFacts): Step[] {
  const src = f.source;
  if (src.kind === "executable") {
    if (path.resolve(src.path) === f.binaryPath) return [{ op: "keep", path: f.binaryPath, why: "it is the skiff running this install" }];
    return [{ op: "write", path: f.binaryPath, mode: 0o755, role: "binary", what: `skiff ${src.version}, copied from ${src.path}`, source: { kind: "copy", from: src.path } }];
  }
  const m = src.manifest;
  const steps: Step[] = [
    {
      op: "write",
      path: f.binaryPath,
      mode: 0o755,
      role: "binary",
      what: `skiff ${m.skiffVersion} (${m.os}-${m.arch}) from bundle ${src.file}`,
      source: { kind: "bundle", file: src.file, entry: BUNDLE_BINARY, ...m.binary },
    },
  ];
  if (m.images) {
    const name = bundleImagesName(m.images.sha256);
    const target = path.join(f.config.image.importDir, name);
    if (f.importDirFiles.includes(name)) steps.push({ op: "keep", path: target, why: "this bundle's images are there already" });
    else {
      steps.push({
        op: "write",
        path: target,
        mode: 0o644,
        role: "images",
        what: `${m.images.refs.length} image(s) skiff imports when it starts: ${m.images.refs.join(", ")}`,
        source: { kind: "bundle", file: src.file, entry: BUNDLE_IMAGES, sha256: m.images.sha256, size: m.images.size },
      });
    }
  }
  return steps;
}

function configSteps(f: InstallFacts, opts: InstallOptions): Step[] {
  const steps: Step[] = [];
  if (f.configExists) steps.push({ op: "keep", path: f.configPath, why: "a config is there; install never overwrites one" });
  else steps.push({ op: "write", path: f.configPath, mode: 0o644, role: "config", what: "the default config (as `skiff config default` prints it)", source: { kind: "text", text: defaultConfigToml("linux") } });

  const crictl = crictlConfig(f.config.server.socket);
  if (f.crictl === "theirs" && !opts.force) {
    steps.push({ op: "keep", path: CRICTL_PATH, why: `it is not skiff's; --force replaces it (and keeps it as ${CRICTL_BACKUP_PATH})` });
  } else {
    steps.push({
      op: "write",
      path: CRICTL_PATH,
      mode: 0o644,
      role: "crictl",
      what: `crictl's endpoints: unix://${f.config.server.socket.replace(/^unix:\/\//, "")}`,
      source: { kind: "text", text: crictl },
      ...(f.crictl === "theirs" && { backup: CRICTL_BACKUP_PATH }),
    });
  }

  const { cni } = f.config;
  if (f.cniConfFiles.length > 0) steps.push({ op: "keep", path: cni.confDir, why: `it holds network config (${f.cniConfFiles.join(", ")}); no default network written` });
  else if (!cni.writeDefault) steps.push({ op: "note", text: `no network config in ${cni.confDir} and cni.write_default is false: add a conflist before pods start` });
  else {
    const text = `${JSON.stringify(defaultConflist(cni.defaultSubnet), null, 2)}\n`;
    steps.push({ op: "write", path: path.join(cni.confDir, DEFAULT_CONFLIST_FILE), mode: 0o644, role: "cni", what: `the default bridge network (${cni.defaultSubnet})`, source: { kind: "text", text } });
  }
  return steps;
}

function serviceSteps(f: InstallFacts, opts: InstallOptions): Step[] {
  const steps: Step[] = [];
  if (f.systemd) {
    steps.push({ op: "run", argv: ["systemctl", "daemon-reload"] }, { op: "run", argv: ["systemctl", "enable", UNIT_NAME] });
    if (opts.start) steps.push({ op: "run", argv: ["systemctl", "restart", UNIT_NAME] });
  } else if (!f.rootIsHost) {
    steps.push({ op: "note", text: `installed into another root: nothing was started; there, \`systemctl enable --now ${UNIT_NAME}\`` });
  } else if (opts.start) {
    steps.push({ op: "note", text: `systemd does not run this host: start skiff with \`${f.binaryPath} serve\`` });
  }
  return steps;
}

/** Every step of an install, in order: files first, the record of them, then the service. */
export function planInstall(f: InstallFacts, opts: InstallOptions): Step[] {
  return [
    ...binarySteps(f),
    ...configSteps(f, opts),
    { op: "write", path: UNIT_PATH, mode: 0o644, role: "unit", what: `the systemd unit running ${f.binaryPath} serve`, source: { kind: "text", text: systemdUnit(f.binaryPath) } },
    { op: "record", path: INSTALL_MANIFEST_PATH },
    ...serviceSteps(f, opts),
  ];
}
