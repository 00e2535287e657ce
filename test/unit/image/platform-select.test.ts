import { describe, expect, test } from "bun:test";
import { NotFoundError } from "../../../src/errors.ts";
import type { Descriptor, ImageIndex, Platform } from "../../../src/image/manifest.ts";
import { OCI_INDEX, OCI_MANIFEST } from "../../../src/image/media-types.ts";
import { normalizePlatform, platformFor, selectManifest } from "../../../src/image/platform-select.ts";

const entry = (n: number, platform?: Platform): Descriptor => ({
  mediaType: OCI_MANIFEST,
  digest: `sha256:${n.toString(16).padStart(64, "0")}`,
  size: 100,
  ...(platform && { platform }),
});
const index = (...platforms: Array<Platform | undefined>): ImageIndex => ({
  kind: "index",
  mediaType: OCI_INDEX,
  manifests: platforms.map((p, i) => entry(i, p)),
});
const P = (os: string, architecture: string, variant?: string, osVersion?: string): Platform => ({
  os,
  architecture,
  ...(variant !== undefined && { variant }),
  ...(osVersion !== undefined && { osVersion }),
});

describe("normalizePlatform", () => {
  const cases: Array<{ desc: string; input: Platform; want: Platform }> = [
    { desc: "x86_64 is amd64", input: P("linux", "x86_64"), want: P("linux", "amd64") },
    { desc: "amd64's baseline v1 variant is dropped", input: P("linux", "amd64", "v1"), want: P("linux", "amd64") },
    { desc: "aarch64 is arm64 with the default v8 variant", input: P("linux", "aarch64"), want: P("linux", "arm64", "v8") },
    { desc: "arm64 with no variant is v8", input: P("linux", "arm64"), want: P("linux", "arm64", "v8") },
    { desc: "armhf is arm v7", input: P("linux", "armhf"), want: P("linux", "arm", "v7") },
    { desc: "armel is arm v6", input: P("linux", "armel"), want: P("linux", "arm", "v6") },
    { desc: "armv7l is arm v7", input: P("linux", "armv7l"), want: P("linux", "arm", "v7") },
    { desc: "arm with no variant is v7", input: P("linux", "arm"), want: P("linux", "arm", "v7") },
    { desc: "a bare variant number gets its v", input: P("linux", "arm", "6"), want: P("linux", "arm", "v6") },
    { desc: "i686 is 386", input: P("linux", "i686"), want: P("linux", "386") },
    { desc: "case is folded", input: P("Linux", "AMD64"), want: P("linux", "amd64") },
    { desc: "unknown architectures pass through", input: P("linux", "riscv64"), want: P("linux", "riscv64") },
  ];
  for (const tc of cases) test(tc.desc, () => expect(normalizePlatform(tc.input)).toEqual(tc.want));
});

describe("platformFor", () => {
  test("Node's names become OCI ones", () => {
    expect(platformFor("linux", "x64")).toEqual(P("linux", "amd64"));
    expect(platformFor("linux", "arm64")).toEqual(P("linux", "arm64", "v8"));
    expect(platformFor("win32", "x64", { osVersion: "10.0.20348.2113" })).toEqual(P("windows", "amd64", undefined, "10.0.20348.2113"));
    expect(platformFor("linux", "ppc64")).toEqual(P("linux", "ppc64le"));
    expect(platformFor("linux", "ia32")).toEqual(P("linux", "386"));
  });
});

describe("selectManifest", () => {
  const cases: Array<{ desc: string; want: Platform; offered: Array<Platform | undefined>; pick: number }> = [
    { desc: "the exact platform is picked", want: P("linux", "amd64"), offered: [P("linux", "arm64"), P("linux", "amd64")], pick: 1 },
    { desc: "x86_64 in the index matches an amd64 node", want: P("linux", "amd64"), offered: [P("linux", "x86_64")], pick: 0 },
    { desc: "an arm64 node matches arm64 entries without a variant", want: P("linux", "arm64"), offered: [P("linux", "amd64"), P("linux", "arm64")], pick: 1 },
    { desc: "an arm64 node matches arm64/v8", want: P("linux", "aarch64"), offered: [P("linux", "arm64", "v8")], pick: 0 },
    { desc: "an arm64 node prefers arm64 over 32-bit arm", want: P("linux", "arm64"), offered: [P("linux", "arm", "v7"), P("linux", "arm64")], pick: 1 },
    { desc: "an arm64 node falls back to 32-bit arm v7", want: P("linux", "arm64"), offered: [P("linux", "amd64"), P("linux", "arm", "v7")], pick: 1 },
    { desc: "an arm v7 node prefers v7 over v6", want: P("linux", "arm", "v7"), offered: [P("linux", "arm", "v6"), P("linux", "arm", "v7")], pick: 1 },
    { desc: "an arm v7 node falls back to v6, then v5", want: P("linux", "arm", "v7"), offered: [P("linux", "arm", "v5"), P("linux", "arm", "v6")], pick: 1 },
    { desc: "an amd64 node falls back to 386", want: P("linux", "amd64"), offered: [P("linux", "arm64"), P("linux", "386")], pick: 1 },
    { desc: "an amd64/v3 node takes v2 before baseline", want: P("linux", "amd64", "v3"), offered: [P("linux", "amd64"), P("linux", "amd64", "v2")], pick: 1 },
    { desc: "entries without a platform are skipped", want: P("linux", "amd64"), offered: [undefined, P("linux", "amd64")], pick: 1 },
    { desc: "ties keep index order", want: P("linux", "amd64"), offered: [P("linux", "amd64"), P("linux", "amd64", "v1")], pick: 0 },
    {
      desc: "Windows prefers the host's build, highest revision first",
      want: P("windows", "amd64", undefined, "10.0.20348.1000"),
      offered: [P("windows", "amd64", undefined, "10.0.17763.5000"), P("windows", "amd64", undefined, "10.0.20348.100"), P("windows", "amd64", undefined, "10.0.20348.2113")],
      pick: 2,
    },
    {
      desc: "Windows takes an entry without os.version after same-build ones",
      want: P("windows", "amd64", undefined, "10.0.20348.1"),
      offered: [P("windows", "amd64"), P("windows", "amd64", undefined, "10.0.20348.7")],
      pick: 1,
    },
    {
      desc: "Windows takes an entry without os.version when no build matches",
      want: P("windows", "amd64", undefined, "10.0.20348.1"),
      offered: [P("windows", "amd64", undefined, "10.0.17763.1"), P("windows", "amd64")],
      pick: 1,
    },
    { desc: "Windows without a wanted os.version takes any build", want: P("windows", "amd64"), offered: [P("linux", "amd64"), P("windows", "amd64", undefined, "10.0.17763.1")], pick: 1 },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(selectManifest(index(...tc.offered), tc.want).digest).toBe(entry(tc.pick).digest));
  }

  const none: Array<{ desc: string; want: Platform; offered: Platform[] }> = [
    { desc: "another OS never matches", want: P("linux", "amd64"), offered: [P("windows", "amd64")] },
    { desc: "an arm v6 node does not run v7", want: P("linux", "arm", "v6"), offered: [P("linux", "arm", "v7")] },
    { desc: "an amd64 node does not run amd64/v2 (it may lack the instructions)", want: P("linux", "amd64"), offered: [P("linux", "amd64", "v2")] },
    { desc: "Windows never runs another build", want: P("windows", "amd64", undefined, "10.0.20348.1"), offered: [P("windows", "amd64", undefined, "10.0.17763.1")] },
  ];
  for (const tc of none) {
    test(tc.desc, () => {
      expect(() => selectManifest(index(...tc.offered), tc.want)).toThrow(NotFoundError);
    });
  }

  test("the error lists what the index offers", () => {
    expect(() => selectManifest(index(P("linux", "s390x"), P("linux", "arm", "v7")), P("linux", "amd64"))).toThrow(
      'no manifest for platform "linux/amd64" in the image index (it has: linux/s390x, linux/arm/v7)',
    );
  });
});
