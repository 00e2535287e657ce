/**
 * Creating a Windows container's compute system, step for step as hcsshim's
 * hcsoci.CreateContainer (seed 004): fill in the id and owner, choose the schema, refuse
 * what may not run (gMSA disabled by annotation, LCOW), then acquire in order what the
 * container needs (its network namespace when none is given, its storage) and create
 * the compute system from the document. Everything acquired is recorded in `HcsResources`
 * and released in reverse when a later step fails, unless the handler keeps it for
 * debugging (`hcs_keep_resources_on_failure`).
 */
import * as path from "node:path";
import type { HcsSchemaVersion } from "../../config/schema.ts";
import { FailedPreconditionError, InvalidArgumentError, NotSupportedError } from "../../errors.ts";
import { ANNOTATION } from "../../oci/annotations.ts";
import type { Spec } from "../../oci/spec.ts";
import type { HcsSystem, WindowsHost } from "../../platform/windows-host.ts";
import { containerComputeSystemDocument, isV10, isV21 } from "./hcs-document.ts";
import { boolAnnotation, HCS_ANNOTATION } from "./hcs-limits.ts";
import type { SchemaVersion } from "./hcs-schema.ts";
import { createNamespace, removeNamespace } from "./hns-namespace.ts";
import { chooseSchemaVersion } from "./schema-version.ts";
import { mountScratch, unmountScratch } from "./scratch-layer.ts";

/** The last part of a path with either separator (Windows paths, whatever OS reads them). */
const baseName = (p: string): string => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

export type HcsCreateDeps = {
  host: Pick<WindowsHost, "hcs" | "layers" | "hns">;
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
  /** The mounted scratch (released last, as hcsshim releases layers last). */
  scratch?: string;
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
  if (r.createdNamespace && r.networkNamespace) {
    await removeNamespace(host.hns, r.networkNamespace).catch((e) => errors.push(e));
    r.createdNamespace = false;
  }
  if (r.scratch) {
    await unmountScratch(host.layers, r.scratch).catch((e) => errors.push(e));
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

export async function createHcsContainer(deps: HcsCreateDeps, opts: HcsCreateOptions): Promise<HcsCreated> {
  const { host } = deps;
  const spec = opts.spec;
  const id = opts.id || deps.newId();
  const owner = opts.owner || baseName(deps.executable);
  const choice = chooseSchemaVersion(deps.hostBuild, opts.schemaVersion ?? "auto");
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

  const r: HcsResources = {};
  try {
    const containerType = spec.annotations?.[ANNOTATION.containerType] ?? "";
    if (containerType !== "" && containerType !== "sandbox" && containerType !== "container") {
      throw new InvalidArgumentError(`annotations["${ANNOTATION.containerType}"]`, `unknown container type "${containerType}"`);
    }
    if (spec.windows.network && isV21(schema)) {
      const given = opts.networkNamespace || spec.windows.network.networkNamespace || "";
      if (given !== "") r.networkNamespace = given;
      else {
        r.networkNamespace = await createNamespace(host.hns);
        r.createdNamespace = true;
        for (const ep of spec.windows.network.endpointList ?? []) {
          const res = JSON.stringify({ Type: "Endpoint", Data: { Id: ep } });
          await host.hns.call("POST", `/namespaces/${r.networkNamespace}/addresource`, res);
        }
      }
    }
    const withRoot: Spec = { ...spec, root: { path: spec.root?.path ?? "", readonly: spec.root?.readonly } };
    if (withRoot.root!.path === "" && !spec.windows.hyperv) {
      withRoot.root!.path = await mountScratch(host.layers, { path: opts.storage.scratch, parents: opts.storage.layers, sizeBytes: opts.storage.sizeBytes });
      r.scratch = opts.storage.scratch;
    }
    const layerIds = await Promise.all(opts.storage.layers.map(async (p) => ({ id: await host.layers.nameToGuid(baseName(p)), path: p })));
    const base = opts.storage.layers.at(-1);
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
        utilityVmImagePath: base ? path.join(base, "UtilityVM") : undefined,
      }),
    );
    const system = await host.hcs.createComputeSystem(id, document);
    return { system, resources: r, schema, document };
  } catch (err) {
    const keep = opts.keepResourcesOnFailure === true;
    if (!keep) await releaseResources(host, r).catch(() => {});
    throw new HcsCreateError(`create compute system "${id}"`, r, keep, { cause: err });
  }
}
