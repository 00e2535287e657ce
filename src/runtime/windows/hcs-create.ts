/**
 * Creating a Windows container's compute system, step for step as hcsshim's
 * hcsoci.CreateContainer (seed 004): fill in the id and owner, choose the schema, refuse
 * what may not run (gMSA disabled by annotation, LCOW), then acquire in order what the
 * container needs (its network namespace when none is given, its storage) and create
 * the compute system from the document. Everything acquired is recorded in `HcsResources`
 * and released in reverse when a later step fails, unless the handler keeps it for
 * debugging (`hcs_keep_resources_on_failure`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { HcsSchemaVersion } from "../../config/schema.ts";
import { FailedPreconditionError, InvalidArgumentError, NotSupportedError } from "../../errors.ts";
import { ANNOTATION } from "../../oci/annotations.ts";
import type { Spec } from "../../oci/spec.ts";
import type { HcsSystem, WindowsHost, WindowsLayerCalls } from "../../platform/windows-host.ts";
import { containerComputeSystemDocument, isV10, isV21 } from "./hcs-document.ts";
import { boolAnnotation, HCS_ANNOTATION } from "./hcs-limits.ts";
import type { SchemaVersion } from "./hcs-schema.ts";
import { createNamespace, removeNamespace } from "./hns-namespace.ts";
import { chooseSchemaVersion } from "./schema-version.ts";
import { createScratch, mountScratch, unmountScratch } from "./scratch-layer.ts";

/** The last part of a path with either separator (Windows paths, whatever OS reads them). */
export const baseName = (p: string): string => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

/** Each layer folder with the GUID HCS knows it by (NameToGuid of its name, hcsshim's LayerID). */
export function layerGuids(layers: Pick<WindowsLayerCalls, "nameToGuid">, paths: readonly string[]): Promise<{ id: string; path: string }[]> {
  return Promise.all(paths.map(async (p) => ({ id: await layers.nameToGuid(baseName(p)), path: p })));
}

export type HcsCreateDeps = {
  host: Pick<WindowsHost, "hcs" | "layers" | "hns" | "hcn">;
  hostBuild: number;
  hostProcessorCount: number;
  /** The owner when none is asked for: the executable's name, as hcsshim defaults it. */
  executable: string;
  newId: () => string;
  warn?: (msg: string) => void;
};

export type HcsCreateOptions = {
  /** Default: a new GUID. */
  id?: string;
  /** Default: the executable's file name. */
  owner?: string;
  spec: Spec;
  schemaVersion?: HcsSchemaVersion;
  /** A namespace to join; when absent and the spec asks for networking, one is created. */
  networkNamespace?: string;
  /** Process isolation: the scratch to create over the image layers (nearest first). */
  storage: { scratch: string; layers: readonly string[]; sizeBytes: number };
  /** hcsshim's DoNotReleaseResourcesOnFailure. */
  keepResourcesOnFailure?: boolean;
};

/** What a container holds besides its compute system, released in reverse order of taking. */
export type HcsResources = {
  networkNamespace?: string;
  /** The namespace was made for this container, so releasing it deletes it. */
  createdNamespace?: boolean;
  /** The scratch (released last, as hcsshim releases layers last). */
  scratch?: string;
  /** The scratch was never mounted on the host (a utility VM mounts it): releasing it only destroys it. */
  scratchUnmounted?: boolean;
  /** What a container in a utility VM holds there (shares, its disk, combined layers, pipes), released first. */
  inVm?: () => Promise<void>;
};

export type HcsCreated = { system: HcsSystem; resources: HcsResources; schema: SchemaVersion; document: string };

/** A failed create, carrying what it acquired (released already unless asked to keep it). */
export class HcsCreateError extends Error {
  constructor(
    message: string,
    readonly resources: HcsResources,
    readonly kept: boolean,
    options: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Gives back what `createHcsContainer` took: the namespace it made, then the storage. */
export async function releaseResources(host: HcsCreateDeps["host"], r: HcsResources): Promise<void> {
  const errors: unknown[] = [];
  if (r.inVm) {
    await r.inVm().catch((e) => errors.push(e));
    r.inVm = undefined;
  }
  if (r.createdNamespace && r.networkNamespace) {
    await removeNamespace(host.hns, r.networkNamespace).catch((e) => errors.push(e));
    r.createdNamespace = false;
  }
  if (r.scratch) {
    const done = r.scratchUnmounted ? host.layers.destroyLayer(r.scratch) : unmountScratch(host.layers, r.scratch);
    await done.catch((e) => errors.push(e));
    r.scratch = undefined;
  }
  if (errors.length > 0) throw new Error("failed to release one or more container resources", { cause: errors[0] });
}

function validate(spec: Spec): void {
  const disabled = boolAnnotation(spec.annotations ?? {}, HCS_ANNOTATION.disableGmsa) === true;
  if (disabled && typeof spec.windows?.credentialSpec === "string") {
    throw new FailedPreconditionError(`container config validation failed: gMSA credentials are disabled by the "${HCS_ANNOTATION.disableGmsa}" annotation`);
  }
}

/**
 * What every create does before it acquires anything (hcsshim's initializeCreateOptions and
 * validateContainerConfig): the id and owner defaults, the schema (always 2.1 in a utility
 * VM), and the refusals.
 */
export function prepareCreate(deps: HcsCreateDeps, opts: HcsCreateOptions, hosted: boolean): { id: string; owner: string; schema: SchemaVersion } {
  const spec = opts.spec;
  const id = opts.id || deps.newId();
  const owner = opts.owner || baseName(deps.executable);
  const choice = chooseSchemaVersion(deps.hostBuild, opts.schemaVersion ?? "auto", hosted);
  if (choice.warning) deps.warn?.(choice.warning);
  const schema = choice.version;
  validate(spec);
  if (spec.linux) {
    if (isV10(schema)) throw new NotSupportedError("LCOW v1 not supported");
    throw new NotSupportedError("Linux containers on Windows (LCOW) are not built in skiff");
  }
  if (!spec.windows) throw new InvalidArgumentError("windows", "the spec has no windows section");
  if (typeof spec.windows.credentialSpec === "string" && isV21(schema)) {
    throw new NotSupportedError("gMSA with HCS schema 2.1 needs a Container Credential Guard instance, which skiff does not create yet");
  }
  const containerType = spec.annotations?.[ANNOTATION.containerType] ?? "";
  if (containerType !== "" && containerType !== "sandbox" && containerType !== "container") {
    throw new InvalidArgumentError(`annotations["${ANNOTATION.containerType}"]`, `unknown container type "${containerType}"`);
  }
  return { id, owner, schema };
}

/** A failed create: everything acquired released (unless kept for debugging), then the error naming the system. */
export async function failCreate(host: HcsCreateDeps["host"], id: string, r: HcsResources, keep: boolean, err: unknown): Promise<never> {
  if (!keep) await releaseResources(host, r).catch(() => {});
  throw new HcsCreateError(`create compute system "${id}"`, r, keep, { cause: err });
}

export async function createHcsContainer(deps: HcsCreateDeps, opts: HcsCreateOptions): Promise<HcsCreated> {
  const { host } = deps;
  const spec = opts.spec;
  const { id, owner, schema } = prepareCreate(deps, opts, false);
  const windows = spec.windows!;
  const r: HcsResources = {};
  try {
    if (windows.network && isV21(schema)) {
      const given = opts.networkNamespace || windows.network.networkNamespace || "";
      if (given !== "") r.networkNamespace = given;
      else {
        r.networkNamespace = await createNamespace(host.hns);
        r.createdNamespace = true;
        for (const ep of windows.network.endpointList ?? []) {
          const res = JSON.stringify({ Type: "Endpoint", Data: { Id: ep } });
          await host.hns.call("POST", `/namespaces/${r.networkNamespace}/addresource`, res);
        }
      }
    }
    const withRoot: Spec = { ...spec, root: { path: spec.root?.path ?? "", readonly: spec.root?.readonly } };
    if (withRoot.root!.path === "" && !windows.hyperv) {
      withRoot.root!.path = await mountScratch(host.layers, { path: opts.storage.scratch, parents: opts.storage.layers, sizeBytes: opts.storage.sizeBytes });
      r.scratch = opts.storage.scratch;
    } else if (windows.hyperv && isV10(schema)) {
      // Schema 1 Hyper-V: HCS's own utility VM mounts the scratch, named by LayerFolderPath.
      await createScratch(host.layers, { path: opts.storage.scratch, parents: opts.storage.layers, sizeBytes: opts.storage.sizeBytes });
      r.scratch = opts.storage.scratch;
      r.scratchUnmounted = true;
    }
    const layerIds = await layerGuids(host.layers, opts.storage.layers);
    const document = JSON.stringify(
      containerComputeSystemDocument({
        id,
        owner,
        spec: withRoot,
        schema,
        hostBuild: deps.hostBuild,
        hostProcessorCount: deps.hostProcessorCount,
        layers: layerIds,
        networkNamespace: r.networkNamespace ?? "",
        utilityVmImagePath: utilityVmFolder(opts.storage.layers),
        layerFolderPath: opts.storage.scratch,
      }),
    );
    const system = await host.hcs.createComputeSystem(id, document);
    return { system, resources: r, schema, document };
  } catch (err) {
    return failCreate(host, id, r, opts.keepResourcesOnFailure === true, err);
  }
}

/**
 * `<layer>\UtilityVM` of the nearest image layer that has one (hcsshim's LocateUVMFolder),
 * else of the base layer (for the error HCS gives when it is missing).
 */
export function utilityVmFolder(layers: readonly string[]): string | undefined {
  const found = layers.find((l) => fs.existsSync(path.join(l, "UtilityVM")));
  const base = found ?? layers.at(-1);
  return base ? path.join(base, "UtilityVM") : undefined;
}
