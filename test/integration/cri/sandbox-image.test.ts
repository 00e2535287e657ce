/**
 * A configured `image.sandbox_image`: skiff pulls it on the first pod, runs its
 * entrypoint as the infra process on a read-only rootfs of its layers, and keeps those
 * layers from garbage collection while a pod stands on them.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { pushPodImages, type PodImages } from "../../support/pod-images.ts";
import { startRegistry, type TestRegistry } from "../../support/registry.ts";
import { type Daemon, isRoot, startDaemon } from "../harness.ts";
import { mountsUnder, podConfig, setUpTestNetwork, SHARED_PID } from "./pod-fixtures.ts";

let reg: TestRegistry;
let images: PodImages;
let d: Daemon;
let undoNetwork = () => {};
let dir: string;

describe.skipIf(!isRoot)("sandbox image", () => {
  beforeAll(async () => {
    reg = await startRegistry();
    images = await pushPodImages(reg.host);
    dir = fs.mkdtempSync("/tmp/skiff-sbimg-");
    undoNetwork = setUpTestNetwork(path.join(dir, "cni"), path.join(dir, "ipam"));
    d = await startDaemon({
      extraConfig: `\n[cni]\nconf_dir = "${path.join(dir, "cni")}"\nwrite_default = false\n\n[image]\nsandbox_image = "${images.pause}"\n`,
    });
  }, 120_000);

  afterAll(async () => {
    try {
      await d?.stop();
    } finally {
      undoNetwork();
      await reg?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
      if (d) fs.rmSync(d.dir, { recursive: true, force: true });
    }
  });

  test("a pod whose containers do not share a PID namespace needs no infra process, so the image is not even pulled", async () => {
    const r = await d.runtime.call<any>("RunPodSandbox", { config: podConfig("no-infra", path.join(dir, "logs")) }, 60_000);
    const s = await d.runtime.call<any>("PodSandboxStatus", { pod_sandbox_id: r.pod_sandbox_id, verbose: true });
    expect(s.status.state).toBe("SANDBOX_READY");
    const listed = await d.image.call<any>("ListImages", {});
    expect(listed.images.flatMap((i: any) => i.repo_tags)).not.toContain(images.pause);
    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: r.pod_sandbox_id }, 60_000);
  }, 60_000);

  test("the first pod sharing a PID namespace pulls the image and runs its entrypoint read-only; removing the pod undoes the rootfs mount", async () => {
    const r = await d.runtime.call<any>("RunPodSandbox", { config: podConfig("paused", path.join(dir, "logs"), SHARED_PID) }, 60_000);
    const id = r.pod_sandbox_id;
    const s = await d.runtime.call<any>("PodSandboxStatus", { pod_sandbox_id: id, verbose: true });
    expect(s.status.state).toBe("SANDBOX_READY");
    const spec = JSON.parse(s.info.info).runtimeSpec;
    expect(spec.process.args).toEqual(["/catatonit", "-P"]);
    expect(spec.root.readonly).toBe(true);
    expect(spec.mounts.map((m: any) => m.destination)).toContain("/sys");
    const listed = await d.image.call<any>("ListImages", {});
    expect(listed.images.flatMap((i: any) => i.repo_tags)).toContain(images.pause);
    expect(mountsUnder(path.join(d.state, "sandboxes", id))).not.toEqual([]);

    // The pod stands on the image's layers: removing the image must not take them.
    await d.image.call("RemoveImage", { image: { image: images.pause } });
    const snapshots = path.join(d.root, "snapshots");
    expect(fs.readdirSync(snapshots).filter((e) => !e.startsWith("tmp-")).length).toBeGreaterThan(0);

    await d.runtime.call("RemovePodSandbox", { pod_sandbox_id: id }, 60_000);
    expect(mountsUnder(path.join(d.state, "sandboxes", id))).toEqual([]);
  }, 60_000);
});
