/**
 * The README's offline flow, end to end: a skiff serving images from the test registry
 * makes a bundle; the registry goes away; `skiff install --bundle` puts skiff and the
 * images into a fresh directory tree; the installed skiff, started with the installed
 * config (its paths moved under the tree for the test), lists the bundled images and
 * runs a pod on them with no registry to pull from.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type PodImages, pushPodImages } from "../../support/pod-images.ts";
import { type TestRegistry, startRegistry } from "../../support/registry.ts";
import { type Daemon, isRoot, runCli, startDaemon } from "../harness.ts";
import { containerConfig, mountsUnder, podConfig, waitFor } from "../cri/pod-fixtures.ts";

let reg: TestRegistry | undefined;
let images: PodImages;
let work: string;
let root: string;
let node: Daemon | undefined;

/** The installed default config with every host path moved under `root`, and the bundled pause image as the infra. */
function rewriteInstalledConfig(configFile: string, pauseRef: string): string {
  const text = fs
    .readFileSync(configFile, "utf8")
    .replaceAll('"/var/lib/skiff', `"${root}/var/lib/skiff`)
    .replaceAll('"/run/skiff', `"${root}/run/skiff`)
    .replaceAll('"/etc/cni/net.d"', `"${root}/etc/cni/net.d"`)
    .replace('sandbox_image = ""', `sandbox_image = "${pauseRef}"`);
  fs.writeFileSync(configFile, text);
  return text;
}

describe.skipIf(!isRoot)("offline install from a bundle", () => {
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-offline-"));
    root = path.join(work, "node");
    reg = await startRegistry();
    images = await pushPodImages(reg.host);
  }, 120_000);

  afterAll(async () => {
    try {
      if (node) {
        const pods = await node.runtime.call<any>("ListPodSandbox", {}).catch(() => ({ items: [] }));
        for (const p of pods.items ?? []) await node.runtime.call("RemovePodSandbox", { pod_sandbox_id: p.id }, 60_000).catch(() => {});
        await node.stop();
      }
    } finally {
      await reg?.stop();
      if (work && mountsUnder(work).length === 0) fs.rmSync(work, { recursive: true, force: true });
    }
  });

  test("bundle on a connected skiff, install into a fresh tree, run a pod there without a registry", async () => {
    // 1. A connected skiff makes the bundle; it pulls what it does not hold.
    const builder = await startDaemon();
    const bundle = path.join(work, "node.bundle");
    try {
      const made = await runCli(["bundle", "--endpoint", `unix://${builder.socket}`, "--file", bundle, "--images", images.busybox, images.pause]);
      expect(made.stderr).toContain(`pulling ${images.busybox}`);
      expect(made.code).toBe(0);
      expect(made.stdout).toContain("and 2 image(s)");
    } finally {
      await builder.stop();
      fs.rmSync(builder.dir, { recursive: true, force: true });
    }
    await reg?.stop();
    reg = undefined;

    // 2. Install from the bundle alone.
    const installed = await runCli(["install", "--root", root, "--bundle", bundle]);
    expect(installed.stderr).toBe("");
    expect(installed.code).toBe(0);
    const importDir = path.join(root, "var/lib/skiff/import");
    expect(fs.readdirSync(importDir)).toEqual([expect.stringMatching(/^skiff-bundle-[0-9a-f]{16}\.tar$/)]);

    // 3. The installed skiff with the installed config; the images are there before any call.
    const configFile = path.join(root, "etc/skiff/config.toml");
    rewriteInstalledConfig(configFile, images.pause);
    node = await startDaemon({ reuseDir: work, binary: path.join(root, "usr/local/bin/skiff"), configPath: configFile, socket: path.join(root, "run/skiff/skiff.sock") });
    const listed = await node.image.call<any>("ListImages", {});
    const tags = listed.images.flatMap((i: any) => i.repo_tags);
    expect(tags).toEqual(expect.arrayContaining([images.busybox, images.pause]));
    const cli = await runCli(["images", "--endpoint", `unix://${node.socket}`]);
    expect(cli.stdout).toContain(images.busybox.slice(0, images.busybox.lastIndexOf(":")));

    // 4. A pod on the bundled pause image, a container on the bundled busybox.
    const logs = path.join(work, "logs");
    // Host network: the installed default conflist (bridge skiff0, 10.88.0.0/16) stays unused on this shared host.
    // One PID namespace for the pod (shareProcessNamespace), so it has an infra process: the bundled pause image.
    const hostNet = { linux: { security_context: { namespace_options: { network: "NODE", pid: "POD" } } } };
    const pod = podConfig("offline", logs, hostNet);
    const { pod_sandbox_id: podId } = await node.runtime.call<any>("RunPodSandbox", { config: pod }, 60_000);
    const status = await node.runtime.call<any>("PodSandboxStatus", { pod_sandbox_id: podId, verbose: true });
    expect(status.status.state).toBe("SANDBOX_READY");
    expect(JSON.parse(status.info.info).runtimeSpec.process.args).toEqual(["/catatonit", "-P"]);
    const { container_id: ctr } = await node.runtime.call<any>(
      "CreateContainer",
      { pod_sandbox_id: podId, config: containerConfig("app", images.busybox, "echo offline-ok; sleep 30", hostNet), sandbox_config: pod },
      60_000,
    );
    await node.runtime.call("StartContainer", { container_id: ctr }, 60_000);
    await waitFor("the container's log line", async () => (fs.readFileSync(path.join(logs, "app/0.log"), "utf8").includes("offline-ok") ? true : undefined));
    await node.runtime.call("RemovePodSandbox", { pod_sandbox_id: podId }, 60_000);
    await node.stop();
    node = undefined;

    // 5. Uninstall takes what install wrote; the images and the edited config stay.
    const un = await runCli(["uninstall", "--root", root]);
    expect(un.code).toBe(0);
    expect(fs.existsSync(path.join(root, "usr/local/bin/skiff"))).toBe(false);
    expect(fs.existsSync(path.join(root, "etc/systemd/system/skiff.service"))).toBe(false);
    expect(fs.existsSync(configFile)).toBe(true);
    expect(fs.readdirSync(importDir)).toHaveLength(1);
  }, 180_000);
});
