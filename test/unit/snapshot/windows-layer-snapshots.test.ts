import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ContentStore } from "../../../src/image/content-store.ts";
import { type InstallDeps, installImage } from "../../../src/image/install.ts";
import { Leases } from "../../../src/image/leases.ts";
import { type ImageManifest, parseImageConfig, parseManifestOrIndex } from "../../../src/image/manifest.ts";
import { createFakeWindowsPlatform } from "../../../src/platform/fake/fake-windows-platform.ts";
import type { FakeWindowsHost } from "../../../src/platform/fake/fake-windows-host.ts";
import { WindowsLayerSnapshots } from "../../../src/snapshot/windows-layer-snapshots.ts";
import { openStore, type Store } from "../../../src/store/index.ts";
import { buildImage, type BuiltImage } from "../../support/images.ts";
import { busyboxLayer, layerBlob } from "../../support/layers.ts";
import { windowsImage } from "../../support/windows-images.ts";

let dir: string;
let store: Store;
let host: FakeWindowsHost;
let deps: InstallDeps;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-winlayers-"));
  store = openStore(":memory:");
  const platform = createFakeWindowsPlatform(path.join(dir, "fake"));
  host = platform.windows;
  deps = {
    store,
    content: new ContentStore(path.join(dir, "content")),
    snapshots: new WindowsLayerSnapshots(path.join(dir, "snapshots"), host.layers),
    platform,
    leases: new Leases(),
    maxLayerBytes: 1 << 30,
    pinned: new Set(),
  };
});
afterEach(() => {
  store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function install(img: BuiltImage) {
  for (const l of img.layers) await deps.content.writeVerified(l.digest, l.blob);
  await deps.content.writeVerified(img.configDigest, img.config);
  const manifest = parseManifestOrIndex(img.manifest) as ImageManifest;
  const top = { mediaType: "application/vnd.oci.image.manifest.v1+json", digest: img.manifestDigest, size: img.manifest.length };
  return installImage(deps, {
    top,
    manifests: [top],
    manifest,
    configBytes: img.config,
    config: parseImageConfig(img.config),
    refs: ["example.test/win:1"],
    layerReady: async () => {},
  });
}

describe("Windows layers through the layer API", () => {
  test("the base layer is written in place and processed; the next is imported over it, nearest parent first", async () => {
    const img = await install(windowsImage());
    const [base, app] = img.info.chainIds as string[];
    const basePath = deps.snapshots.fsOf(base!);
    const appPath = deps.snapshots.fsOf(app!);
    const calls = host.log.calls.map((c) => [c.call, ...c.args.map((a) => (typeof a === "string" && a.includes("tmp-") ? "<staged>" : a))]);
    expect(calls).toEqual([
      ["ProcessBaseImage", basePath],
      ["ProcessUtilityImage", path.join(basePath, "UtilityVM")],
      ["ImportLayer", appPath, "<staged>", [basePath]],
    ]);
    // What vmcompute was given: the Windows layout, whiteouts left out of the staged folder.
    expect(fs.readFileSync(path.join(basePath, "Files", "Windows", "System32", "cmd.exe"), "utf8")).toBe("MZ fake cmd");
    expect(fs.existsSync(path.join(basePath, "Hives", "SOFTWARE_BASE"))).toBe(true);
    expect(fs.readFileSync(path.join(appPath, "Files", "app", "run.cmd"), "utf8")).toContain("echo hello");
    expect(fs.existsSync(path.join(appPath, "Files", "Windows", "Temp", ".wh.old.log"))).toBe(false);
    // Each layer records its parents, which marks it complete.
    expect(JSON.parse(fs.readFileSync(path.join(appPath, "layerchain.json"), "utf8"))).toEqual([basePath]);
    expect(store.images.snapshotChain(app!).map((s) => s.path)).toEqual([appPath, basePath]);
    expect(fs.readdirSync(path.join(dir, "snapshots")).filter((n) => n.startsWith("tmp-"))).toEqual([]);
  });

  test("a layer already imported is not imported again for another image", async () => {
    await install(windowsImage());
    host.log.calls.length = 0;
    await install(windowsImage({ cmd: ["cmd"] }));
    expect(host.log.calls).toEqual([]);
  });

  test("a failed import leaves no layer folder and no staged files", async () => {
    host.log.inject({ call: "ImportLayer" });
    const err = await install(windowsImage()).catch((e) => e);
    expect(String(err.cause?.cause ?? err.cause)).toContain("ImportLayer");
    const left = fs.readdirSync(path.join(dir, "snapshots"));
    expect(left.filter((n) => n.startsWith("tmp-"))).toEqual([]);
    expect(await deps.snapshots.list()).toHaveLength(1); // the base layer, complete
    expect(host.log.of("DestroyLayer")).toHaveLength(1);
  });

  test("a Linux layer is refused: its entries are outside Files/, Hives/ and UtilityVM/", async () => {
    const err = await install(buildImage([layerBlob(busyboxLayer())])).catch((e) => e);
    let msg = "";
    for (let e = err; e; e = e.cause) msg += ` ${e.message}`;
    expect(msg).toContain("not a Windows layer");
  });

  test("a whiteout is a tombstone under Files\\, removed from the layer after the import", async () => {
    const { applyLayer } = await import("../../../src/image/unpack/apply-layer.ts");
    const { windowsAppLayerTar } = await import("../../support/windows-images.ts");
    const staged = path.join(dir, "staged");
    fs.mkdirSync(staged);
    const r = await applyLayer({ platform: deps.platform, dest: staged, stream: new Blob([windowsAppLayerTar()]).stream(), layout: "windows" });
    expect(r.tombstones).toEqual(["Files\\Windows\\Temp\\old.log"]);
    // An import whose result still holds the deleted file (vmcompute's view of the parent): it goes.
    const tmp = path.join(dir, "snapshots", "tmp-x");
    fs.mkdirSync(path.join(tmp, "fs", "Files", "Windows", "Temp"), { recursive: true });
    fs.writeFileSync(path.join(tmp, "fs", "Files", "Windows", "Temp", "old.log"), "x");
    await install(windowsImage());
    const [base] = (await deps.snapshots.list()).filter((c) => deps.snapshots.exists(c) && !fs.existsSync(path.join(deps.snapshots.fsOf(c), "Files", "app")));
    const layer = await deps.snapshots.commit(tmp, "sha256:" + "b".repeat(64), [base!], r.tombstones);
    expect(fs.existsSync(path.join(layer, "Files", "Windows", "Temp", "old.log"))).toBe(false);
    expect(fs.existsSync(path.join(layer, "Files", "Windows", "Temp"))).toBe(true);
  });

  test("a crash between import and layerchain.json leaves a folder that start-up destroys", async () => {
    fs.mkdirSync(path.join(dir, "snapshots", "a".repeat(64)), { recursive: true });
    expect(await deps.snapshots.cleanTemp()).toBe(1);
    expect(host.log.of("DestroyLayer").map((c) => c.args[0])).toEqual([path.join(dir, "snapshots", "a".repeat(64))]);
  });
});
