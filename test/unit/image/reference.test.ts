import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../src/errors.ts";
import {
  parseImageReference,
  registryApiHost,
  repoDigest,
  repoTag,
  withDigest,
  withTag,
} from "../../../src/image/reference.ts";

const D = `sha256:${"a".repeat(64)}`;
const D512 = `sha512:${"b".repeat(128)}`;

describe("parseImageReference", () => {
  const cases: Array<{ desc: string; input: string; registry: string; repository: string; tag?: string; digest?: string; full: string; familiar: string }> = [
    { desc: "a bare name is a Docker Hub library image at latest", input: "busybox", registry: "docker.io", repository: "library/busybox", tag: "latest", full: "docker.io/library/busybox:latest", familiar: "busybox:latest" },
    { desc: "a bare name with a tag keeps the tag", input: "busybox:1.36", registry: "docker.io", repository: "library/busybox", tag: "1.36", full: "docker.io/library/busybox:1.36", familiar: "busybox:1.36" },
    { desc: "a user repository on Docker Hub gets no library prefix", input: "me/app", registry: "docker.io", repository: "me/app", tag: "latest", full: "docker.io/me/app:latest", familiar: "me/app:latest" },
    { desc: "docker.io written out normalizes the same", input: "docker.io/busybox", registry: "docker.io", repository: "library/busybox", tag: "latest", full: "docker.io/library/busybox:latest", familiar: "busybox:latest" },
    { desc: "index.docker.io is docker.io", input: "index.docker.io/library/busybox:1", registry: "docker.io", repository: "library/busybox", tag: "1", full: "docker.io/library/busybox:1", familiar: "busybox:1" },
    { desc: "a host with a port is a registry", input: "host:5000/a/b:tag", registry: "host:5000", repository: "a/b", tag: "tag", full: "host:5000/a/b:tag", familiar: "host:5000/a/b:tag" },
    { desc: "a host with a port and no tag gets latest", input: "127.0.0.1:5000/app", registry: "127.0.0.1:5000", repository: "app", tag: "latest", full: "127.0.0.1:5000/app:latest", familiar: "127.0.0.1:5000/app:latest" },
    { desc: "localhost is a registry even without a dot or port", input: "localhost/app", registry: "localhost", repository: "app", tag: "latest", full: "localhost/app:latest", familiar: "localhost/app:latest" },
    { desc: "a dotted first segment is a registry", input: "registry.k8s.io/pause:3.10", registry: "registry.k8s.io", repository: "pause", tag: "3.10", full: "registry.k8s.io/pause:3.10", familiar: "registry.k8s.io/pause:3.10" },
    { desc: "a digest alone adds no tag", input: `busybox@${D}`, registry: "docker.io", repository: "library/busybox", digest: D, full: `docker.io/library/busybox@${D}`, familiar: `busybox@${D}` },
    { desc: "tag and digest keep both, and the digest wins in the full form", input: `ghcr.io/o/r:v1@${D}`, registry: "ghcr.io", repository: "o/r", tag: "v1", digest: D, full: `ghcr.io/o/r@${D}`, familiar: `ghcr.io/o/r:v1@${D}` },
    { desc: "sha512 digests are accepted", input: `x.io/r@${D512}`, registry: "x.io", repository: "r", digest: D512, full: `x.io/r@${D512}`, familiar: `x.io/r@${D512}` },
    { desc: "separators inside path components are allowed", input: "x.io/a_b/c__d/e-f/g.h--i:t", registry: "x.io", repository: "a_b/c__d/e-f/g.h--i", tag: "t", full: "x.io/a_b/c__d/e-f/g.h--i:t", familiar: "x.io/a_b/c__d/e-f/g.h--i:t" },
    { desc: "a bracketed IPv6 host with a port is a registry", input: "[::1]:5000/app:1", registry: "[::1]:5000", repository: "app", tag: "1", full: "[::1]:5000/app:1", familiar: "[::1]:5000/app:1" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      const ref = parseImageReference(tc.input);
      expect(ref.registry).toBe(tc.registry);
      expect(ref.repository).toBe(tc.repository);
      expect(ref.tag).toBe(tc.tag);
      expect(ref.digest).toBe(tc.digest);
      expect(ref.full).toBe(tc.full);
      expect(ref.familiar).toBe(tc.familiar);
      expect(ref.name).toBe(`${tc.registry}/${tc.repository}`);
    });
  }

  const bad: Array<{ desc: string; input: string; reason: RegExp }> = [
    { desc: "an empty reference is refused", input: "", reason: /empty/ },
    { desc: "uppercase in the repository is refused as not lowercase", input: "x.io/Busybox", reason: /lowercase/ },
    { desc: "uppercase in a bare name makes it a host with no path", input: "Busybox", reason: /repository|lowercase/ },
    { desc: "a short digest is refused", input: "busybox@sha256:abc", reason: /64 lowercase hex/ },
    { desc: "an unknown digest algorithm is refused", input: `busybox@md5:${"a".repeat(32)}`, reason: /not supported/ },
    { desc: "uppercase hex in a digest is refused", input: `busybox@sha256:${"A".repeat(64)}`, reason: /lowercase hex/ },
    { desc: "a tag with a slash-free but invalid character is refused", input: "busybox:bad+tag", reason: /tag/ },
    { desc: "a tag longer than 128 characters is refused", input: `busybox:${"t".repeat(129)}`, reason: /tag/ },
    { desc: "a trailing slash leaves an empty component", input: "x.io/app/", reason: /not valid/ },
    { desc: "a leading separator in a component is refused", input: "x.io/-app", reason: /not valid/ },
    { desc: "surrounding whitespace is refused", input: " busybox", reason: /whitespace/ },
    { desc: "a name longer than 255 characters is refused", input: `x.io/${"a".repeat(260)}`, reason: /longer than 255/ },
    { desc: "an empty tag is refused", input: "busybox:", reason: /tag/ },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      let err: unknown;
      try {
        parseImageReference(tc.input, "image.image");
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect((err as InvalidArgumentError).field).toBe("image.image");
      expect((err as Error).message).toMatch(tc.reason);
      expect((err as Error).message.startsWith("image.image: ")).toBe(true);
    });
  }
});

describe("repo tags and digests", () => {
  test("a tagged reference has a repo tag with the full registry name", () => {
    expect(repoTag(parseImageReference("busybox"))).toBe("docker.io/library/busybox:latest");
  });
  test("a digested reference has no repo tag", () => {
    expect(repoTag(parseImageReference(`busybox@${D}`))).toBeUndefined();
    expect(repoTag(parseImageReference(`busybox:1@${D}`))).toBeUndefined();
  });
  test("the repo digest names the repository and the manifest digest", () => {
    expect(repoDigest(parseImageReference("host:5000/a/b:t"), D)).toBe(`host:5000/a/b@${D}`);
  });
  test("withTag and withDigest replace what pins the reference", () => {
    const ref = parseImageReference(`x.io/a:1@${D}`);
    expect(withTag(ref, "2").full).toBe("x.io/a:2");
    expect(withDigest(ref, D512).full).toBe(`x.io/a@${D512}`);
    expect(() => withTag(ref, "bad tag")).toThrow(InvalidArgumentError);
  });
  test("docker.io is served by registry-1.docker.io and other hosts by themselves", () => {
    expect(registryApiHost("docker.io")).toBe("registry-1.docker.io");
    expect(registryApiHost("127.0.0.1:5000")).toBe("127.0.0.1:5000");
  });
});
