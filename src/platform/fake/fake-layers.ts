/**
 * Fake container layer calls over a real directory tree: an imported layer is the staged
 * folder copied into the layer path (so tests can look at its `Files/`), a scratch layer
 * is a folder with an empty `sandbox.vhdx`, and activation, preparation and the volume
 * path are flags and a made-up `\\?\Volume{GUID}\` path. Every rule the real calls
 * enforce that the Windows code relies on is checked: parents must exist, a scratch must
 * be activated before it is prepared, and so on.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { WindowsLayerCalls } from "../windows-host.ts";
import type { FakeCallLog } from "./fake-call-log.ts";

const ERROR_FILE_NOT_FOUND = 0x80070002;
const ERROR_INVALID_STATE = 0x8007139f;

export type FakeLayer = {
  kind: "image" | "scratch";
  parents: readonly string[];
  activated: boolean;
  prepared: boolean;
  sizeBytes?: number;
};

/** The default size of a new scratch (what CreateSandboxLayer gives: 20 GB). */
export const FAKE_SCRATCH_BYTES = 20 * 1024 ** 3;

/** A stable made-up volume GUID for a layer path. */
export function fakeVolumePath(layerPath: string): string {
  const h = new Bun.CryptoHasher("sha256").update(layerPath).digest("hex");
  return `\\\\?\\Volume{${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}}\\`;
}

/** The fake's NameToGuid: a name-based GUID (sha1 of the name), stable across runs. */
export function fakeLayerGuid(name: string): string {
  const h = new Bun.CryptoHasher("sha1").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class FakeLayers implements WindowsLayerCalls {
  readonly layers = new Map<string, FakeLayer>();

  constructor(private readonly log: FakeCallLog) {}

  /** Scratch layers not destroyed and layers left activated or prepared. */
  leaks(): string[] {
    const out: string[] = [];
    for (const [p, l] of this.layers) {
      if (l.kind === "scratch") out.push(`scratch layer "${p}"`);
      else if (l.activated || l.prepared) out.push(`layer "${p}" left ${l.prepared ? "prepared" : "activated"}`);
    }
    return out;
  }

  #needParents(call: "ImportLayer" | "CreateSandboxLayer" | "PrepareLayer", args: unknown[], target: string, parents: readonly string[]): void {
    for (const p of parents) {
      if (this.layers.get(p)?.kind !== "image") this.log.fail(call, args, ERROR_FILE_NOT_FOUND, target, `parent layer "${p}" does not exist`);
    }
  }

  #need(call: "ExpandSandboxSize" | "ActivateLayer" | "GetLayerMountPath" | "UnprepareLayer" | "DeactivateLayer", args: unknown[], layerPath: string): FakeLayer {
    const l = this.layers.get(layerPath);
    if (!l) this.log.fail(call, args, ERROR_FILE_NOT_FOUND, layerPath, "no such layer");
    return l;
  }

  async nameToGuid(name: string): Promise<string> {
    this.log.record("NameToGuid", [name], name);
    return fakeLayerGuid(name);
  }

  async importLayer(layerPath: string, importFolder: string, parentLayerPaths: readonly string[]): Promise<void> {
    const args = [layerPath, importFolder, [...parentLayerPaths]];
    this.#needParents("ImportLayer", args, layerPath, parentLayerPaths);
    if (!fs.existsSync(path.join(importFolder, "Files"))) this.log.fail("ImportLayer", args, ERROR_FILE_NOT_FOUND, layerPath, "the import folder has no Files");
    this.log.record("ImportLayer", args, layerPath);
    fs.cpSync(importFolder, layerPath, { recursive: true });
    this.layers.set(layerPath, { kind: "image", parents: [...parentLayerPaths], activated: false, prepared: false });
  }

  async processBaseImage(layerPath: string): Promise<void> {
    const args = [layerPath];
    if (!fs.existsSync(path.join(layerPath, "Files"))) this.log.fail("ProcessBaseImage", args, ERROR_FILE_NOT_FOUND, layerPath, "the layer has no Files");
    this.log.record("ProcessBaseImage", args, layerPath);
    this.layers.set(layerPath, { kind: "image", parents: [], activated: false, prepared: false });
  }

  async processUtilityImage(utilityVmPath: string): Promise<void> {
    this.log.record("ProcessUtilityImage", [utilityVmPath], utilityVmPath);
  }

  /** GrantVmAccess: the file must exist; what was granted to whom is kept for tests. */
  readonly granted: { vmId: string; path: string }[] = [];

  async grantVmAccess(vmId: string, filePath: string): Promise<void> {
    const args = [vmId, filePath];
    if (!fs.existsSync(filePath)) this.log.fail("GrantVmAccess", args, ERROR_FILE_NOT_FOUND, filePath, "no such file");
    this.log.record("GrantVmAccess", args, filePath);
    this.granted.push({ vmId, path: filePath });
  }

  async createSandboxLayer(layerPath: string, parentLayerPaths: readonly string[]): Promise<void> {
    const args = [layerPath, [...parentLayerPaths]];
    this.#needParents("CreateSandboxLayer", args, layerPath, parentLayerPaths);
    this.log.record("CreateSandboxLayer", args, layerPath);
    fs.mkdirSync(layerPath, { recursive: true });
    fs.writeFileSync(path.join(layerPath, "sandbox.vhdx"), "");
    this.layers.set(layerPath, { kind: "scratch", parents: [...parentLayerPaths], activated: false, prepared: false, sizeBytes: FAKE_SCRATCH_BYTES });
  }

  async expandSandboxSize(layerPath: string, sizeBytes: number): Promise<void> {
    const args = [layerPath, sizeBytes];
    const l = this.#need("ExpandSandboxSize", args, layerPath);
    this.log.record("ExpandSandboxSize", args, layerPath);
    l.sizeBytes = Math.max(l.sizeBytes ?? 0, sizeBytes);
  }

  async activateLayer(layerPath: string): Promise<void> {
    const args = [layerPath];
    const l = this.#need("ActivateLayer", args, layerPath);
    this.log.record("ActivateLayer", args, layerPath);
    l.activated = true;
  }

  async prepareLayer(layerPath: string, parentLayerPaths: readonly string[]): Promise<void> {
    const args = [layerPath, [...parentLayerPaths]];
    const l = this.layers.get(layerPath);
    if (!l?.activated) this.log.fail("PrepareLayer", args, ERROR_INVALID_STATE, layerPath, "the layer is not activated");
    this.#needParents("PrepareLayer", args, layerPath, parentLayerPaths);
    this.log.record("PrepareLayer", args, layerPath);
    l.prepared = true;
  }

  async getLayerMountPath(layerPath: string): Promise<string> {
    const args = [layerPath];
    const l = this.#need("GetLayerMountPath", args, layerPath);
    if (!l.prepared) this.log.fail("GetLayerMountPath", args, ERROR_INVALID_STATE, layerPath, "the layer is not prepared");
    this.log.record("GetLayerMountPath", args, layerPath);
    return fakeVolumePath(layerPath);
  }

  async unprepareLayer(layerPath: string): Promise<void> {
    const args = [layerPath];
    const l = this.#need("UnprepareLayer", args, layerPath);
    this.log.record("UnprepareLayer", args, layerPath);
    l.prepared = false;
  }

  async deactivateLayer(layerPath: string): Promise<void> {
    const args = [layerPath];
    const l = this.#need("DeactivateLayer", args, layerPath);
    this.log.record("DeactivateLayer", args, layerPath);
    l.activated = false;
  }

  async destroyLayer(layerPath: string): Promise<void> {
    const args = [layerPath];
    this.log.record("DestroyLayer", args, layerPath);
    this.layers.delete(layerPath);
    fs.rmSync(layerPath, { recursive: true, force: true });
  }
}
