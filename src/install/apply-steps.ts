/**
 * Carries out install and uninstall steps under a root directory ("/" for this host).
 * Files are written to a temp file beside the target and renamed over it, so a target is
 * either the old file or the whole new one. Directories made on the way are recorded, so
 * uninstall can take them away again when they are empty.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type BundleTarget, stageBundle } from "./bundle-read.ts";
import { type InstallManifest, type RecordedFile, mergeManifests } from "./install-manifest.ts";
import { type Step, describeStep } from "./steps.ts";

/** `hostPath` inside the tree at `root`. */
export function underRoot(root: string, hostPath: string): string {
  return root === "/" ? hostPath : path.join(root, hostPath);
}

export type ApplyContext = {
  root: string;
  /** Told each step as it is taken. */
  log: (line: string) => void;
  /** Runs a command (systemctl); throws when it fails. */
  run: (argv: string[]) => Promise<void>;
  /** The manifest of an earlier install, merged into the new one by a `record` step. */
  previous?: InstallManifest;
  skiffVersion: string;
  now?: Date;
};

const sha256 = (data: string | Uint8Array) => new Bun.CryptoHasher("sha256").update(data).digest("hex");

class Applier {
  readonly written: RecordedFile[] = [];
  readonly createdDirs: string[] = [];
  staged = new Map<string, string>();

  constructor(readonly ctx: ApplyContext) {
    // A --root tree may not exist yet; it is not one of install's directories.
    fs.mkdirSync(ctx.root, { recursive: true });
  }

  at(hostPath: string): string {
    return underRoot(this.ctx.root, hostPath);
  }

  /** mkdir -p of a host path's directories, recording the ones made (inside the root only). */
  mkdirs(hostDir: string): void {
    const missing: string[] = [];
    for (let d = hostDir; d !== "/" && !fs.existsSync(this.at(d)); d = path.dirname(d)) missing.unshift(d);
    for (const d of missing) {
      fs.mkdirSync(this.at(d), { mode: 0o755 });
      this.createdDirs.push(d);
    }
  }

  /** Writes bytes to `<target>` by way of a temp file; returns their SHA-256. */
  writeBytes(target: string, data: string | Uint8Array, mode: number): string {
    const tmp = `${target}.skiff-tmp-${process.pid}`;
    fs.writeFileSync(tmp, data, { mode });
    fs.chmodSync(tmp, mode);
    fs.renameSync(tmp, target);
    return sha256(data);
  }

  async write(step: Extract<Step, { op: "write" }>): Promise<void> {
    this.mkdirs(path.dirname(step.path));
    const target = this.at(step.path);
    if (step.backup !== undefined && fs.existsSync(target)) fs.renameSync(target, this.at(step.backup));
    let digest: string;
    const src = step.source;
    if (src.kind === "text") digest = this.writeBytes(target, src.text, step.mode);
    else if (src.kind === "bundle") {
      fs.renameSync(this.staged.get(step.path) as string, target);
      this.staged.delete(step.path);
      digest = src.sha256;
    } else {
      const tmp = `${target}.skiff-tmp-${process.pid}`;
      fs.copyFileSync(src.from, tmp);
      fs.chmodSync(tmp, step.mode);
      fs.renameSync(tmp, target);
      const hasher = new Bun.CryptoHasher("sha256");
      for await (const chunk of Bun.file(target).stream()) hasher.update(chunk);
      digest = hasher.digest("hex");
    }
    this.written.push({ path: step.path, role: step.role, sha256: digest, ...(step.backup !== undefined && { backup: step.backup }) });
  }

  record(hostPath: string): void {
    this.mkdirs(path.dirname(hostPath));
    const manifest = mergeManifests(this.ctx.previous, this.written, this.createdDirs, (p) => fs.existsSync(this.at(p)), {
      skiffVersion: this.ctx.skiffVersion,
      installedAt: (this.ctx.now ?? new Date()).toISOString(),
    });
    this.writeBytes(this.at(hostPath), `${JSON.stringify(manifest, null, 2)}\n`, 0o644);
  }

  async take(step: Step): Promise<void> {
    switch (step.op) {
      case "write":
        return this.write(step);
      case "remove":
        return fs.rmSync(this.at(step.path), { force: true });
      case "restore":
        return fs.renameSync(this.at(step.from), this.at(step.path));
      case "rmdir":
        try {
          fs.rmdirSync(this.at(step.path));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "EEXIST") throw err;
        }
        return;
      case "purge":
        return fs.rmSync(this.at(step.path), { recursive: true, force: true });
      case "record":
        return this.record(step.path);
      case "run":
        return this.ctx.run(step.argv);
      case "keep":
      case "note":
        return;
    }
  }
}

/**
 * Takes the steps in order. Bundle entries are read out first, in one pass over the
 * bundle, and checked before anything is written; if that fails nothing changes.
 */
export async function applySteps(steps: readonly Step[], ctx: ApplyContext): Promise<void> {
  const applier = new Applier(ctx);
  const fromBundle = steps.flatMap((s) => (s.op === "write" && s.source.kind === "bundle" ? [{ step: s, source: s.source }] : []));
  const bundleFile = fromBundle[0]?.source.file;
  if (bundleFile !== undefined) {
    for (const { step } of fromBundle) applier.mkdirs(path.dirname(step.path));
    const wanted = new Map<string, BundleTarget>(fromBundle.map(({ step, source }) => [source.entry, { path: applier.at(step.path), sha256: source.sha256, size: source.size, mode: step.mode }]));
    const byEntry = await stageBundle(bundleFile, wanted);
    for (const { step, source } of fromBundle) applier.staged.set(step.path, byEntry.get(source.entry) as string);
  }
  try {
    for (const step of steps) {
      ctx.log(describeStep(step));
      await applier.take(step);
    }
  } finally {
    for (const tmp of applier.staged.values()) fs.rmSync(tmp, { force: true });
  }
}
