/** A bundle written, read back and installed into a temp tree, then uninstalled: files only, no daemon. */
import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { applySteps } from "../../../src/install/apply-steps.ts";
import { bundleImagesName } from "../../../src/install/bundle-format.ts";
import { readBundleManifest, stageBundle } from "../../../src/install/bundle-read.ts";
import { writeBundle } from "../../../src/install/bundle-write.ts";
import { readInstallFacts, readInstallManifest, readUninstallFacts } from "../../../src/install/install-facts.ts";
import { planInstall } from "../../../src/install/install-plan.ts";
import { planUninstall } from "../../../src/install/uninstall-plan.ts";
import { bytesFile, writeTar } from "../../../src/image/archive/tar-write.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-bundle-unit-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const binary = path.join(dir, "fake-skiff");
fs.writeFileSync(binary, "#!/bin/sh\necho fake skiff\n".repeat(1000));
const images = path.join(dir, "images.tar");
fs.writeFileSync(images, new Uint8Array(70_000).map((_, i) => i % 251));
const bundle = path.join(dir, "node.bundle");
const refs = ["registry.local/busybox:1"];

const listTree = (root: string): string[] =>
  fs.readdirSync(root, { recursive: true, withFileTypes: true }).map((e) => `${path.relative(root, path.join(e.parentPath, e.name))}${e.isDirectory() ? "/" : ""}`).sort();

describe("a bundle", () => {
  test("is written with its manifest first, which reads back with sizes and digests", async () => {
    const written = await writeBundle({ file: bundle, binary, images: { file: images, refs }, skiffVersion: "0.1.0", os: "linux", arch: "x64" });
    expect(await readBundleManifest(bundle)).toEqual(written);
    expect(written.binary.size).toBe(fs.statSync(binary).size);
    expect(written.images).toMatchObject({ size: 70_000, refs });
    expect(fs.readdirSync(dir).filter((n) => n.includes("tmp"))).toEqual([]);
  });

  test("a damaged entry is refused and leaves no temp file", async () => {
    const damaged = path.join(dir, "damaged.bundle");
    const bytes = fs.readFileSync(bundle);
    bytes[bytes.length - 4000]! ^= 0xff; // inside images.tar's body
    fs.writeFileSync(damaged, bytes);
    const m = await readBundleManifest(damaged);
    const out = path.join(dir, "stage");
    fs.mkdirSync(out);
    const wanted = new Map([["images.tar", { path: path.join(out, "images.tar"), sha256: m.images!.sha256, size: m.images!.size, mode: 0o644 }]]);
    await expect(stageBundle(damaged, wanted)).rejects.toThrow(/entry "images.tar" is damaged/);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  test("an archive that does not start with the manifest is not a bundle", async () => {
    const other = path.join(dir, "other.tar");
    const parts: Uint8Array[] = [];
    for await (const c of writeTar([bytesFile("index.json", new TextEncoder().encode("{}"))])) parts.push(c);
    fs.writeFileSync(other, Buffer.concat(parts));
    await expect(readBundleManifest(other)).rejects.toThrow(/is not a skiff bundle: its first entry is "index.json"/);
    fs.writeFileSync(other, "plain text");
    await expect(readBundleManifest(other)).rejects.toThrow(/is not a skiff bundle/);
  });
});

describe("install from a bundle into a temp root, then uninstall", () => {
  const root = path.join(dir, "root");
  fs.mkdirSync(root);
  const ran: string[][] = [];
  const ctx = { root, log: () => {}, run: async (argv: string[]) => void ran.push(argv), skiffVersion: "0.1.0" };

  test("writes the bundle's binary and images where the plan says, and records them", async () => {
    const manifest = await readBundleManifest(bundle);
    const facts = await readInstallFacts(root, { kind: "bundle", file: bundle, manifest }, "/usr/local");
    await applySteps(planInstall(facts, { force: false, start: true }), ctx);
    expect(fs.readFileSync(path.join(root, "usr/local/bin/skiff"))).toEqual(fs.readFileSync(binary));
    expect(fs.statSync(path.join(root, "usr/local/bin/skiff")).mode & 0o777).toBe(0o755);
    const dropped = path.join(root, "var/lib/skiff/import", bundleImagesName(manifest.images!.sha256));
    expect(fs.readFileSync(dropped)).toEqual(fs.readFileSync(images));
    const record = readInstallManifest(root)!;
    expect(record.files.map((f) => f.role).sort()).toEqual(["binary", "cni", "config", "crictl", "images", "unit"]);
    expect(record.dirs).toContain("/var/lib/skiff/import");
    expect(ran).toEqual([]); // another root: systemd is never asked
    expect(listTree(root).filter((n) => n.includes("skiff-tmp"))).toEqual([]);
  });

  test("uninstall leaves only the images and the directories holding them", async () => {
    const manifest = readInstallManifest(root)!;
    await applySteps(planUninstall(await readUninstallFacts(root, manifest), { purge: false }), ctx);
    const images = `var/lib/skiff/import/${bundleImagesName(manifest.files.find((f) => f.role === "images")!.sha256)}`;
    expect(listTree(root)).toEqual(["var/", "var/lib/", "var/lib/skiff/", "var/lib/skiff/import/", images]);
  });
});
