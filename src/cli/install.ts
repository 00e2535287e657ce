import * as path from "node:path";
import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { passed } from "../doctor/check-result.ts";
import { formatDoctorText } from "../doctor/format.ts";
import { runDoctor } from "../doctor/run-doctor.ts";
import { applySteps } from "../install/apply-steps.ts";
import { checkBundlePlatform } from "../install/bundle-format.ts";
import { readBundleManifest } from "../install/bundle-read.ts";
import { readInstallFacts, runningExecutable } from "../install/install-facts.ts";
import { type InstallSource, planInstall } from "../install/install-plan.ts";
import { describeStep } from "../install/steps.ts";
import { createPlatform } from "../platform/index.ts";
import { UsageError } from "./client-args.ts";
import { runSystemctl, targetRoot } from "./install-args.ts";
import { checkArgs } from "./strict-args.ts";
import { installWindows } from "./windows-service.ts";

const args = {
  prefix: { type: "string" as const, description: "install the binary as PREFIX/bin/skiff", default: "/usr/local" },
  root: { type: "string" as const, description: "install into the filesystem tree at DIR instead of this host (nothing is started)", default: "/" },
  bundle: { type: "string" as const, description: "install skiff and its images from an archive made by `skiff bundle`" },
  force: { type: "boolean" as const, description: "replace an /etc/crictl.yaml that is not skiff's (it is kept as /etc/crictl.yaml.before-skiff)" },
  "dry-run": { type: "boolean" as const, description: "print every file and command, change nothing" },
  "ignore-checks": { type: "boolean" as const, description: "install even when a required `skiff doctor` check fails" },
  start: { type: "boolean" as const, description: "start (or restart) skiff when done; --no-start only installs", default: true },
};

/** Where the skiff to install comes from: the bundle, else this very executable. */
async function installSource(bundle: string | undefined, os: string): Promise<InstallSource> {
  if (bundle !== undefined) {
    const manifest = await readBundleManifest(bundle);
    checkBundlePlatform(manifest, os, process.arch);
    return { kind: "bundle", file: path.resolve(bundle), manifest };
  }
  const exe = runningExecutable();
  if (exe === undefined) throw new UsageError("skiff install copies the running executable: run the compiled skiff (bun scripts/build-binary.ts), not `bun src/main.ts`");
  return { kind: "executable", path: exe, version: pkg.version };
}

/**
 * `skiff install`: puts skiff on this host (or into `--root DIR`) from the binary alone,
 * or from a bundle: the binary, the systemd unit, the default config, crictl's config,
 * the default CNI network, a bundle's images, and a record of all of it for
 * `skiff uninstall`. On this host `skiff doctor` runs first and a failed required check
 * stops the install unless `--ignore-checks`.
 */
export const installCommand = defineCommand({
  meta: { name: "install", description: "install skiff (binary, systemd unit, config) from this executable or a bundle" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const platform = createPlatform();
    if (platform.os === "windows") {
      const exePath = runningExecutable();
      if (exePath === undefined) throw new UsageError("skiff install registers the running executable: run the compiled skiff.exe");
      return installWindows({ exePath, dryRun: a["dry-run"] === true, start: a.start !== false, log: (l) => console.log(l) });
    }
    if (platform.os !== "linux") throw new UsageError("skiff install installs on Linux only");
    const root = targetRoot(a.root, a["dry-run"] === true);
    if (!path.isAbsolute(a.prefix)) throw new UsageError("--prefix must be an absolute path");
    const source = await installSource(a.bundle, platform.os);
    const facts = await readInstallFacts(root, source, a.prefix);

    let blocked = false;
    if (root === "/") {
      const results = await runDoctor(facts.config, platform);
      process.stdout.write(`doctor (config: ${facts.configExists ? facts.configPath : "defaults"}):\n${formatDoctorText(results)}`);
      blocked = !passed(results) && !a["ignore-checks"];
    } else {
      console.log(`doctor: skipped (installing into ${root}, not onto this host)`);
    }
    const refusal = "a required check failed (see above); fix it, or install anyway with --ignore-checks";
    if (blocked && !a["dry-run"]) throw new Error(refusal);

    const steps = planInstall(facts, { force: a.force === true, start: a.start !== false });
    if (a["dry-run"]) {
      console.log(`dry run: nothing is changed${root === "/" ? "" : `; paths are inside ${root}`}`);
      for (const step of steps) console.log(describeStep(step));
      if (blocked) throw new Error(`the install would stop before these steps: ${refusal}`);
      return;
    }
    await applySteps(steps, {
      root,
      log: (line) => console.log(line),
      run: runSystemctl,
      ...(facts.previous && { previous: facts.previous }),
      skiffVersion: source.kind === "bundle" ? source.manifest.skiffVersion : source.version,
    });
    console.log(`skiff installed${root === "/" ? "" : ` into ${root}`}`);
  },
});
