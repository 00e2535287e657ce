/**
 * Parses image manifests, indexes (manifest lists) and image configs: OCI image-spec
 * (https://github.com/opencontainers/image-spec) and Docker schema 2. The bytes come
 * from a registry or a tarball, so they are untrusted: every field we keep is checked
 * for type and shape, and everything else is dropped.
 */
import { InvalidArgumentError, NotSupportedError } from "../errors.ts";
import {
  OCI_INDEX,
  OCI_MANIFEST,
  baseMediaType,
  isIndexMediaType,
  isManifestMediaType,
  isSchema1MediaType,
} from "./media-types.ts";
import { digestProblem } from "./reference.ts";

/** containerd's cap on a manifest or index: anything larger is not a real one. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** A config with a long history is big, but not this big. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/** The platform an index entry or a config is for. */
export type Platform = {
  os: string;
  architecture: string;
  variant?: string;
  /** Windows build, e.g. `10.0.20348.2113`. */
  osVersion?: string;
  osFeatures?: string[];
};

/** A content descriptor: what a blob is, how big, and its digest. */
export type Descriptor = {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
};

export type ImageManifest = {
  kind: "manifest";
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
};

export type ImageIndex = {
  kind: "index";
  mediaType: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
};

/** What the runtime needs from an image config (`config` in OCI terms). */
export type ImageConfig = {
  os: string;
  architecture: string;
  variant?: string;
  osVersion?: string;
  osFeatures?: string[];
  created?: string;
  author?: string;
  config: {
    user?: string;
    env: string[];
    entrypoint?: string[];
    cmd?: string[];
    workingDir?: string;
    /** Volume paths (the keys of `Volumes`). */
    volumes: string[];
    /** Exposed ports as `80/tcp` (the keys of `ExposedPorts`). */
    exposedPorts: string[];
    stopSignal?: string;
    labels: Record<string, string>;
    /** Windows: the command line is already escaped. */
    argsEscaped?: boolean;
  };
  rootfs: { type: "layers"; diffIds: string[] };
  history: ImageHistory[];
};

export type ImageHistory = {
  created?: string;
  createdBy?: string;
  author?: string;
  comment?: string;
  emptyLayer?: boolean;
};

type Json = Record<string, unknown>;

/**
 * Parses a manifest or an index. `contentType` is the registry's Content-Type header,
 * used when the document has no `mediaType` of its own. Schema 1 is a NotSupportedError.
 */
export function parseManifestOrIndex(bytes: Uint8Array, contentType?: string): ImageManifest | ImageIndex {
  const header = contentType ? baseMediaType(contentType) : undefined;
  if (header && isSchema1MediaType(header)) throw schema1();
  const doc = parseJsonObject(bytes, MAX_MANIFEST_BYTES, "manifest");
  if (doc.schemaVersion === 1) throw schema1();
  if (doc.schemaVersion !== 2) throw new InvalidArgumentError("manifest.schemaVersion", "must be 2");
  const own = optString(doc, "mediaType", "manifest");
  if (own !== undefined && isSchema1MediaType(own)) throw schema1();
  // A document that is both a manifest and an index could be read two ways by two
  // programs (CVE-2021-41190): refuse it.
  if ("manifests" in doc && ("layers" in doc || "config" in doc)) {
    throw new InvalidArgumentError("manifest", "has both manifests and config/layers");
  }
  const known = (t?: string) => t !== undefined && (isManifestMediaType(t) || isIndexMediaType(t));
  if (known(own) && known(header) && own !== header) {
    throw new InvalidArgumentError("manifest.mediaType", `"${own}" does not match the Content-Type "${header}"`);
  }
  const mediaType = own ?? (known(header) ? header! : "manifests" in doc ? OCI_INDEX : OCI_MANIFEST);
  if (isIndexMediaType(mediaType)) return toIndex(doc, mediaType);
  if (isManifestMediaType(mediaType)) return toManifest(doc, mediaType);
  throw new NotSupportedError(`manifest media type "${clip(mediaType)}" is not supported`);
}

function toManifest(doc: Json, mediaType: string): ImageManifest {
  const layers = reqArray(doc, "layers", "manifest").map((l, i) => descriptor(l, `manifest.layers[${i}]`));
  const out: ImageManifest = { kind: "manifest", mediaType, config: descriptor(doc.config, "manifest.config"), layers };
  if (doc.subject !== undefined) out.subject = descriptor(doc.subject, "manifest.subject");
  return defined(out, {
    artifactType: optString(doc, "artifactType", "manifest"),
    annotations: optStringMap(doc, "annotations", "manifest"),
  });
}

function toIndex(doc: Json, mediaType: string): ImageIndex {
  const manifests = reqArray(doc, "manifests", "index").map((m, i) => descriptor(m, `index.manifests[${i}]`));
  const out: ImageIndex = { kind: "index", mediaType, manifests };
  if (doc.subject !== undefined) out.subject = descriptor(doc.subject, "index.subject");
  return defined(out, { annotations: optStringMap(doc, "annotations", "index") });
}

/** Checks one descriptor. `field` is its path for errors, e.g. `manifest.layers[2]`. */
export function descriptor(value: unknown, field: string): Descriptor {
  const d = object(value, field);
  const mediaType = reqString(d, "mediaType", field);
  const digest = reqString(d, "digest", field);
  const problem = digestProblem(digest);
  if (problem) throw new InvalidArgumentError(`${field}.digest`, problem);
  const size = d.size;
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) {
    throw new InvalidArgumentError(`${field}.size`, "must be a non-negative integer below 2^53");
  }
  const out: Descriptor = { mediaType, digest, size };
  if (d.platform !== undefined) out.platform = platform(object(d.platform, `${field}.platform`), `${field}.platform`);
  return defined(out, {
    urls: optStringArray(d, "urls", field),
    annotations: optStringMap(d, "annotations", field),
    artifactType: optString(d, "artifactType", field),
  });
}

function platform(p: Json, field: string): Platform {
  const out: Platform = { os: reqString(p, "os", field), architecture: reqString(p, "architecture", field) };
  return defined(out, {
    variant: optString(p, "variant", field),
    osVersion: optString(p, "os.version", field),
    osFeatures: optStringArray(p, "os.features", field),
  });
}

/** Parses an image config blob (OCI `application/vnd.oci.image.config.v1+json` or Docker's). */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const doc = parseJsonObject(bytes, MAX_CONFIG_BYTES, "config");
  const plat = platform(doc, "config");
  const c = doc.config === undefined || doc.config === null ? {} : object(doc.config, "config.config");
  const f = "config.config";
  const rootfs = object(doc.rootfs, "config.rootfs");
  if (rootfs.type !== "layers") throw new InvalidArgumentError("config.rootfs.type", 'must be "layers"');
  const diffIds = reqArray(rootfs, "diff_ids", "config.rootfs").map((d, i) => {
    const problem = typeof d === "string" ? digestProblem(d) : "must be a string";
    if (problem) throw new InvalidArgumentError(`config.rootfs.diff_ids[${i}]`, problem);
    return d as string;
  });
  const history = doc.history === undefined || doc.history === null
    ? []
    : reqArray(doc, "history", "config").map((h, i) => historyEntry(object(h, `config.history[${i}]`), `config.history[${i}]`));

  const config: ImageConfig["config"] = {
    env: optStringArray(c, "Env", f) ?? [],
    volumes: Object.keys(optObject(c, "Volumes", f) ?? {}),
    exposedPorts: Object.keys(optObject(c, "ExposedPorts", f) ?? {}),
    labels: optStringMap(c, "Labels", f) ?? {},
  };
  defined(config, {
    user: optString(c, "User", f),
    entrypoint: optStringArray(c, "Entrypoint", f),
    cmd: optStringArray(c, "Cmd", f),
    workingDir: optString(c, "WorkingDir", f),
    stopSignal: optString(c, "StopSignal", f),
    argsEscaped: optBoolean(c, "ArgsEscaped", f),
  });
  const out: ImageConfig = { ...plat, config, rootfs: { type: "layers", diffIds }, history };
  return defined(out, { created: optString(doc, "created", "config"), author: optString(doc, "author", "config") });
}

function historyEntry(h: Json, field: string): ImageHistory {
  return defined({} as ImageHistory, {
    created: optString(h, "created", field),
    createdBy: optString(h, "created_by", field),
    author: optString(h, "author", field),
    comment: optString(h, "comment", field),
    emptyLayer: optBoolean(h, "empty_layer", field),
  });
}

/** Copies the fields that have a value, so absent ones stay absent (not `undefined`). */
function defined<T extends object>(target: T, fields: { [K in keyof T]?: T[K] | undefined }): T {
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) (target as Record<string, unknown>)[k] = v;
  return target;
}

// --- small checked readers; `null` counts as absent, as Go's encoding/json reads it ---

function parseJsonObject(bytes: Uint8Array, limit: number, field: string): Json {
  if (bytes.byteLength > limit) throw new InvalidArgumentError(field, `is larger than ${limit} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new InvalidArgumentError(field, "is not valid UTF-8 JSON", { cause: err });
  }
  return object(value, field);
}

function object(value: unknown, field: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(field, "must be a JSON object");
  }
  return value as Json;
}

function optObject(o: Json, key: string, field: string): Json | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : object(v, `${field}.${key}`);
}

function reqString(o: Json, key: string, field: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new InvalidArgumentError(`${field}.${key}`, "must be a string");
  return v;
}

function optString(o: Json, key: string, field: string): string | undefined {
  const v = o[key];
  return v === undefined || v === null ? undefined : reqString(o, key, field);
}

function optBoolean(o: Json, key: string, field: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new InvalidArgumentError(`${field}.${key}`, "must be a boolean");
  return v;
}

function reqArray(o: Json, key: string, field: string): unknown[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new InvalidArgumentError(`${field}.${key}`, "must be an array");
  return v;
}

function optStringArray(o: Json, key: string, field: string): string[] | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  const arr = reqArray(o, key, field);
  arr.forEach((s, i) => {
    if (typeof s !== "string") throw new InvalidArgumentError(`${field}.${key}[${i}]`, "must be a string");
  });
  return arr as string[];
}

/** A string→string map, built with own data properties so `__proto__` keys stay plain keys. */
function optStringMap(o: Json, key: string, field: string): Record<string, string> | undefined {
  const m = optObject(o, key, field);
  if (!m) return undefined;
  return Object.fromEntries(
    Object.entries(m).map(([k, v]) => {
      if (typeof v !== "string") throw new InvalidArgumentError(`${field}.${key}["${clip(k)}"]`, "must be a string");
      return [k, v];
    }),
  );
}

function schema1(): NotSupportedError {
  return new NotSupportedError(
    "image manifest is Docker schema 1, which is no longer supported: push the image again with a current client",
  );
}

function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
