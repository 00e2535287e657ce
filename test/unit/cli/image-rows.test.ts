import { describe, expect, test } from "bun:test";
import { type ListedImage, imageMatches, imageTableHeaders, imageTableRows, splitRepoTag } from "../../../src/cli/image-rows.ts";

const hex = (c: string) => c.repeat(64);
const busybox: ListedImage = {
  id: `sha256:${hex("a")}`,
  repoTags: ["127.0.0.1:5000/library/busybox:1.36", "127.0.0.1:5000/library/busybox:latest"],
  repoDigests: [`127.0.0.1:5000/library/busybox@sha256:${hex("d")}`],
  size: 1_234_567n,
};
const untagged: ListedImage = {
  id: `sha256:${hex("b")}`,
  repoTags: [],
  repoDigests: [`docker.io/library/alpine@sha256:${hex("e")}`],
  size: 999n,
};
const bare: ListedImage = { id: `sha256:${hex("c")}`, repoTags: [], repoDigests: [], size: 0n };

describe("splitRepoTag", () => {
  const cases = [
    { desc: "the tag follows the last colon", ref: "docker.io/library/busybox:1.36", want: ["docker.io/library/busybox", "1.36"] },
    { desc: "a registry port is not a tag", ref: "127.0.0.1:5000/busybox", want: ["127.0.0.1:5000/busybox", "<none>"] },
    { desc: "a port and a tag", ref: "127.0.0.1:5000/busybox:v1", want: ["127.0.0.1:5000/busybox", "v1"] },
  ];
  for (const tc of cases) test(tc.desc, () => expect(splitRepoTag(tc.ref)).toEqual(tc.want as [string, string]));
});

describe("imageTableRows", () => {
  test("one row per tag, with the short id and crictl's size", () => {
    expect(imageTableRows([busybox])).toEqual([
      ["127.0.0.1:5000/library/busybox", "1.36", "aaaaaaaaaaaaa", "1.23MB"],
      ["127.0.0.1:5000/library/busybox", "latest", "aaaaaaaaaaaaa", "1.23MB"],
    ]);
  });
  test("an untagged image shows its digest's repository and <none>", () => {
    expect(imageTableRows([untagged])).toEqual([["docker.io/library/alpine", "<none>", "bbbbbbbbbbbbb", "999B"]]);
  });
  test("an image with neither tags nor digests is <none> <none>", () => {
    expect(imageTableRows([bare])[0]?.slice(0, 2)).toEqual(["<none>", "<none>"]);
  });
  test("--digests adds the short repo digest before the id", () => {
    expect(imageTableHeaders({ digests: true })).toEqual(["IMAGE", "TAG", "DIGEST", "IMAGE ID", "SIZE"]);
    expect(imageTableRows([busybox], { digests: true })[0]).toEqual(["127.0.0.1:5000/library/busybox", "1.36", "ddddddddddddd", "aaaaaaaaaaaaa", "1.23MB"]);
  });
  test("rows are sorted by image then tag", () => {
    expect(imageTableRows([busybox, untagged]).map((r) => r[0])).toEqual([
      "127.0.0.1:5000/library/busybox",
      "127.0.0.1:5000/library/busybox",
      "docker.io/library/alpine",
    ]);
  });
});

describe("imageMatches", () => {
  const cases = [
    { desc: "the full id matches", name: busybox.id, want: true },
    { desc: "the bare hex id matches", name: hex("a"), want: true },
    { desc: "an id prefix of six or more matches", name: "aaaaaa", want: true },
    { desc: "a prefix of five does not", name: "aaaaa", want: false },
    { desc: "a repo tag as written matches", name: "127.0.0.1:5000/library/busybox:1.36", want: true },
    { desc: "a repo without a tag means :latest", name: "127.0.0.1:5000/library/busybox", want: true },
    { desc: "a repo digest matches", name: `127.0.0.1:5000/library/busybox@sha256:${hex("d")}`, want: true },
    { desc: "another tag does not", name: "127.0.0.1:5000/library/busybox:1.35", want: false },
    { desc: "a name that is no reference does not throw", name: "UPPER CASE", want: false },
  ];
  for (const tc of cases) test(tc.desc, () => expect(imageMatches(busybox, tc.name)).toBe(tc.want));
  test("a short name is normalized to docker.io/library", () => {
    expect(imageMatches({ ...untagged, repoTags: ["docker.io/library/alpine:3"] }, "alpine:3")).toBe(true);
  });
});
