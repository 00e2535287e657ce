import { defineCommand } from "citty";
import { applySteps, underRoot } from "../install/apply-steps.ts";
import { readInstallManifest, readUninstallFacts } from "../install/install-facts.ts";
import { INSTALL_MANIFEST_PATH } from "../install/install-manifest.ts";
import { describeStep } from "../install/steps.ts";
import { planUninstall } from "../install/uninstall-plan.ts";
import { createPlatform } from "../platform/index.ts";
import { UsageError } from "./client-args.ts";
import { runSystemctl, targetRoot } from "./install-args.ts";
import { checkArgs } from "./strict-args.ts";
import { uninstallWindows } from "./windows-service.ts";

const args = {
  root: { type: "string" as const, description: "uninstall from the filesystem tree at DIR instead of this host", default: "/" },
  purge: { type: "boolean" as const, description: "also remove changed files, the bundle's images, and paths.root and paths.state (refused while pods exist)" },
  "dry-run": { type: "boolean" as const, description: "print every file and command, change nothing" },
};

/**
 * `skiff uninstall`: stops and disables the unit (when systemd runs the host), then
 * removes what `skiff install` recorded and is unchanged since. Images, pods and state
 * stay unless `--purge`.
 */
export const uninstallCommand = defineCommand({
  meta: { name: "uninstall", description: "remove what `skiff install` wrote (images, pods and state stay unless --purge)" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const os = createPlatform().os;
    if (os === "windows") return uninstallWindows({ dryRun: a["dry-run"] === true, log: (l) => console.log(l) });
    if (os !== "linux") throw new UsageError("skiff uninstall works on Linux only");
    const root = targetRoot(a.root, a["dry-run"] === true);
    const manifest = readInstallManifest(root);
    if (!manifest) throw new Error(`no install record at ${underRoot(root, INSTALL_MANIFEST_PATH)}: nothing here was installed by skiff install`);
    const steps = planUninstall(await readUninstallFacts(root, manifest), { purge: a.purge === true });
    if (a["dry-run"]) {
      console.log(`dry run: nothing is changed${root === "/" ? "" : `; paths are inside ${root}`}`);
      for (const step of steps) console.log(describeStep(step));
      return;
    }
    await applySteps(steps, { root, log: (line) => console.log(line), run: runSystemctl, skiffVersion: manifest.skiffVersion });
    console.log(`skiff uninstalled${root === "/" ? "" : ` from ${root}`}`);
  },
});
