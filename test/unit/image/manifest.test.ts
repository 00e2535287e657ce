import { describe, expect, test } from "bun:test";
import { InvalidArgumentError, NotSupportedError } from "../../../src/errors.ts";
import { parseImageConfig, parseManifestOrIndex } from "../../../src/image/manifest.ts";
import * as mt from "../../../src/image/media-types.ts";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
const desc = (over: Record<string, unknown> = {}) => ({ mediaType: mt.OCI_LAYER_GZIP, digest: D("a"), size: 10, ...over });
const manifest = (over: Record<string, unknown> = {}) => ({
  schemaVersion: 2,
  mediaType: mt.OCI_MANIFEST,
  config: desc({ mediaType: mt.OCI_CONFIG }),
  layers: [desc(), desc({ digest: D("b"), size: 0 })],
  ...over,
});

describe("parseManifestOrIndex", () => {
  test("an OCI manifest parses with its config and layers", () => {
    const m = parseManifestOrIndex(enc(manifest({ annotations: { a: "b" } })));
    expect(m.kind).toBe("manifest");
    if (m.kind !== "manifest") throw new Error("unreachable");
    expect(m.layers.map((l) => l.digest)).toEqual([D("a"), D("b")]);
    expect(m.config.mediaType).toBe(mt.OCI_CONFIG);
    expect(m.annotations).toEqual({ a: "b" });
  });

  test("an index keeps each entry's platform, os.version included", () => {
    const idx = parseManifestOrIndex(
      enc({
        schemaVersion: 2,
        mediaType: mt.DOCKER_MANIFEST_LIST,
        manifests: [desc({ mediaType: mt.DOCKER_MANIFEST, platform: { os: "windows", architecture: "amd64", "os.version": "10.0.20348.1" } })],
      }),
    );
    expect(idx.kind).toBe("index");
    if (idx.kind !== "index") throw new Error("unreachable");
    expect(idx.manifests[0]!.platform).toEqual({ os: "windows", architecture: "amd64", osVersion: "10.0.20348.1" });
  });

  test("without a mediaType field the Content-Type decides", () => {
    const { mediaType: _, ...body } = manifest();
    expect(parseManifestOrIndex(enc(body), `${mt.DOCKER_MANIFEST}; charset=utf-8`).mediaType).toBe(mt.DOCKER_MANIFEST);
  });

  test("without mediaType or Content-Type the shape decides", () => {
    expect(parseManifestOrIndex(enc({ schemaVersion: 2, manifests: [] })).kind).toBe("index");
  });

  test("schema 1 manifests are not supported, by version or by Content-Type", () => {
    expect(() => parseManifestOrIndex(enc({ schemaVersion: 1, name: "x" }))).toThrow(NotSupportedError);
    expect(() => parseManifestOrIndex(enc("{}"), mt.DOCKER_SCHEMA1_SIGNED_MANIFEST)).toThrow(/schema 1/);
  });

  const bad: Array<{ desc: string; body: unknown; contentType?: string; field: string }> = [
    { desc: "garbage bytes are refused", body: "\u0000not json", field: "manifest" },
    { desc: "a JSON array is refused", body: [], field: "manifest" },
    { desc: "a missing schemaVersion is refused", body: { ...manifest(), schemaVersion: undefined }, field: "manifest.schemaVersion" },
    { desc: "a document that is both manifest and index is refused", body: { ...manifest(), manifests: [] }, field: "manifest" },
    { desc: "a body mediaType that contradicts the Content-Type is refused", body: manifest(), contentType: mt.OCI_INDEX, field: "manifest.mediaType" },
    { desc: "layers that are not an array are refused", body: manifest({ layers: {} }), field: "manifest.layers" },
    { desc: "a layer digest that is not sha256 hex is refused", body: manifest({ layers: [desc({ digest: "sha256:xyz" })] }), field: "manifest.layers[0].digest" },
    { desc: "a layer digest with an unknown algorithm is refused", body: manifest({ layers: [desc({ digest: `md5:${"a".repeat(32)}` })] }), field: "manifest.layers[0].digest" },
    { desc: "a negative size is refused", body: manifest({ layers: [desc({ size: -1 })] }), field: "manifest.layers[0].size" },
    { desc: "a size past 2^53 is refused", body: manifest({ layers: [desc({ size: 2 ** 60 })] }), field: "manifest.layers[0].size" },
    { desc: "a fractional size is refused", body: manifest({ layers: [desc({ size: 1.5 })] }), field: "manifest.layers[0].size" },
    { desc: "a size written as a string is refused", body: manifest({ layers: [desc({ size: "10" })] }), field: "manifest.layers[0].size" },
    { desc: "a media type that is not a string is refused", body: manifest({ config: desc({ mediaType: 7 }) }), field: "manifest.config.mediaType" },
    { desc: "non-string annotations are refused", body: manifest({ annotations: { a: 1 } }), field: 'manifest.annotations["a"]' },
    { desc: "an index entry platform without os is refused", body: { schemaVersion: 2, manifests: [desc({ platform: { architecture: "amd64" } })] }, field: "index.manifests[0].platform.os" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      let err: unknown;
      try {
        parseManifestOrIndex(enc(tc.body as object), tc.contentType);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe(tc.field);
    });
  }

  test("a manifest larger than 4 MiB is refused before parsing", () => {
    expect(() => parseManifestOrIndex(new Uint8Array(4 * 1024 * 1024 + 1))).toThrow(/larger than/);
  });

  test("a __proto__ annotation stays a plain key", () => {
    const m = parseManifestOrIndex(enc('{"schemaVersion":2,"manifests":[],"annotations":{"__proto__":"x"}}'));
    expect(Object.getPrototypeOf(m.annotations)).toBe(Object.prototype);
    expect(Object.keys(m.annotations!)).toEqual(["__proto__"]);
  });
});

describe("parseImageConfig", () => {
  const config = {
    architecture: "arm64",
    variant: "v8",
    os: "linux",
    created: "2024-01-01T00:00:00Z",
    config: {
      User: "1000:1000",
      Env: ["PATH=/bin", "A=b"],
      Entrypoint: ["/bin/sh", "-c"],
      Cmd: ["echo hi"],
      WorkingDir: "/work",
      Volumes: { "/data": {} },
      ExposedPorts: { "80/tcp": {}, "53/udp": {} },
      StopSignal: "SIGQUIT",
      Labels: { maintainer: "me" },
    },
    rootfs: { type: "layers", diff_ids: [D("c"), D("d")] },
    history: [{ created_by: "ADD x /", empty_layer: false }, { created_by: "CMD", empty_layer: true }],
  };

  test("every field the runtime needs is read", () => {
    const c = parseImageConfig(enc(config));
    expect(c).toMatchObject({ os: "linux", architecture: "arm64", variant: "v8", created: "2024-01-01T00:00:00Z" });
    expect(c.config).toEqual({
      user: "1000:1000",
      env: ["PATH=/bin", "A=b"],
      entrypoint: ["/bin/sh", "-c"],
      cmd: ["echo hi"],
      workingDir: "/work",
      volumes: ["/data"],
      exposedPorts: ["80/tcp", "53/udp"],
      stopSignal: "SIGQUIT",
      labels: { maintainer: "me" },
    });
    expect(c.rootfs.diffIds).toEqual([D("c"), D("d")]);
    expect(c.history.map((h) => h.emptyLayer)).toEqual([false, true]);
  });

  test("a Windows config keeps os.version and ArgsEscaped", () => {
    const c = parseImageConfig(enc({ ...config, os: "windows", architecture: "amd64", "os.version": "10.0.17763.5576", config: { ArgsEscaped: true } }));
    expect(c.osVersion).toBe("10.0.17763.5576");
    expect(c.config.argsEscaped).toBe(true);
    expect(c.config.env).toEqual([]);
  });

  test("null fields count as absent, as Go writes them", () => {
    const c = parseImageConfig(enc({ ...config, config: { Env: null, Cmd: null, Labels: null }, history: null }));
    expect(c.config.cmd).toBeUndefined();
    expect(c.config.env).toEqual([]);
    expect(c.history).toEqual([]);
  });

  const bad: Array<{ desc: string; body: unknown; field: string }> = [
    { desc: "a config without os is refused", body: { ...config, os: undefined }, field: "config.os" },
    { desc: "env entries that are not strings are refused", body: { ...config, config: { Env: ["A=b", 3] } }, field: "config.config.Env[1]" },
    { desc: "a Cmd that is a string is refused", body: { ...config, config: { Cmd: "echo" } }, field: "config.config.Cmd" },
    { desc: "a rootfs of another type is refused", body: { ...config, rootfs: { type: "x", diff_ids: [] } }, field: "config.rootfs.type" },
    { desc: "a bad diff id is refused", body: { ...config, rootfs: { type: "layers", diff_ids: ["sha256:1"] } }, field: "config.rootfs.diff_ids[0]" },
    { desc: "a missing rootfs is refused", body: { ...config, rootfs: undefined }, field: "config.rootfs" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      let err: unknown;
      try {
        parseImageConfig(enc(tc.body));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe(tc.field);
    });
  }
});
