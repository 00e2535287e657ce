import { describe, expect, test } from "bun:test";
import { NotSupportedError } from "../../../src/errors.ts";
import * as mt from "../../../src/image/media-types.ts";

describe("layerCompression", () => {
  const cases: Array<{ desc: string; mediaType: string; want: mt.LayerCompression }> = [
    { desc: "OCI gzip layers are gzip", mediaType: mt.OCI_LAYER_GZIP, want: "gzip" },
    { desc: "OCI zstd layers are zstd", mediaType: mt.OCI_LAYER_ZSTD, want: "zstd" },
    { desc: "OCI plain tar layers are uncompressed", mediaType: mt.OCI_LAYER, want: "none" },
    { desc: "OCI non-distributable gzip layers are gzip", mediaType: mt.OCI_LAYER_NONDISTRIBUTABLE_GZIP, want: "gzip" },
    { desc: "OCI non-distributable zstd layers are zstd", mediaType: mt.OCI_LAYER_NONDISTRIBUTABLE_ZSTD, want: "zstd" },
    { desc: "OCI non-distributable tar layers are uncompressed", mediaType: mt.OCI_LAYER_NONDISTRIBUTABLE, want: "none" },
    { desc: "Docker schema 2 layers are gzip", mediaType: mt.DOCKER_LAYER_GZIP, want: "gzip" },
    { desc: "Docker foreign layers are gzip", mediaType: mt.DOCKER_FOREIGN_LAYER_GZIP, want: "gzip" },
    { desc: "Docker uncompressed layers are uncompressed", mediaType: mt.DOCKER_LAYER, want: "none" },
    { desc: "Docker zstd layers are zstd", mediaType: mt.DOCKER_LAYER_ZSTD, want: "zstd" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(mt.layerCompression(tc.mediaType)).toBe(tc.want));

  test("encrypted and unknown layer types are not supported", () => {
    expect(() => mt.layerCompression("application/vnd.oci.image.layer.v1.tar+gzip+encrypted")).toThrow(NotSupportedError);
    expect(() => mt.layerCompression(mt.OCI_CONFIG)).toThrow(/not supported/);
  });
});

describe("media type classes", () => {
  test("manifests, indexes and configs are told apart", () => {
    expect(mt.isManifestMediaType(mt.OCI_MANIFEST) && mt.isManifestMediaType(mt.DOCKER_MANIFEST)).toBe(true);
    expect(mt.isIndexMediaType(mt.OCI_INDEX) && mt.isIndexMediaType(mt.DOCKER_MANIFEST_LIST)).toBe(true);
    expect(mt.isConfigMediaType(mt.OCI_CONFIG) && mt.isConfigMediaType(mt.DOCKER_CONFIG)).toBe(true);
    expect(mt.isManifestMediaType(mt.OCI_INDEX)).toBe(false);
  });
  test("foreign and non-distributable layers are non-distributable", () => {
    expect(mt.isNonDistributable(mt.DOCKER_FOREIGN_LAYER_GZIP)).toBe(true);
    expect(mt.isNonDistributable(mt.OCI_LAYER_NONDISTRIBUTABLE)).toBe(true);
    expect(mt.isNonDistributable(mt.OCI_LAYER_GZIP)).toBe(false);
  });
  test("the manifest Accept list has all four manifest and index types", () => {
    expect([...mt.MANIFEST_ACCEPT].sort()).toEqual([mt.DOCKER_MANIFEST, mt.DOCKER_MANIFEST_LIST, mt.OCI_INDEX, mt.OCI_MANIFEST].sort());
  });
  test("Content-Type parameters and case are stripped", () => {
    expect(mt.baseMediaType("Application/VND.OCI.image.manifest.v1+json; charset=utf-8")).toBe(mt.OCI_MANIFEST);
  });
});
