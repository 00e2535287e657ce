/**
 * The rows of `skiff images`, built the way crictl builds them (cri-tools
 * cmd/crictl/image.go: `normalizeRepoTagPair`, `normalizeRepoDigest`): one row per repo
 * tag; an untagged image shows the repository of its first repo digest and `<none>`.
 */
import { parseImageReference } from "../image/reference.ts";
import { humanSize } from "./human-size.ts";
import { digestHex, shortId } from "./short-id.ts";

/** What the table needs of a CRI `Image`. */
export type ListedImage = {
  id: string;
  repoTags: readonly string[];
  repoDigests: readonly string[];
  size: bigint;
};

const NONE = "<none>";

/** `repo:tag` → [repo, tag]; the tag is after the last ":" that follows the last "/". */
export function splitRepoTag(repoTag: string): [string, string] {
  const colon = repoTag.lastIndexOf(":");
  if (colon < 0 || colon < repoTag.lastIndexOf("/")) return [repoTag, NONE];
  return [repoTag.slice(0, colon), repoTag.slice(colon + 1)];
}

/** `repo@sha256:…` → [repo, digest], or `<none>` twice. */
export function splitRepoDigest(repoDigest: string | undefined): [string, string] {
  if (!repoDigest) return [NONE, NONE];
  const at = repoDigest.indexOf("@");
  if (at < 0) return [repoDigest, NONE];
  return [repoDigest.slice(0, at), repoDigest.slice(at + 1)];
}

export function imageTableHeaders(opts: { digests?: boolean } = {}): string[] {
  return opts.digests ? ["IMAGE", "TAG", "DIGEST", "IMAGE ID", "SIZE"] : ["IMAGE", "TAG", "IMAGE ID", "SIZE"];
}

/** Table rows, sorted by image then tag so the output is stable. */
export function imageTableRows(images: readonly ListedImage[], opts: { digests?: boolean } = {}): string[][] {
  const rows: string[][] = [];
  for (const img of images) {
    const [digestRepo, digest] = splitRepoDigest(img.repoDigests[0]);
    const pairs = img.repoTags.length > 0 ? img.repoTags.map(splitRepoTag) : [[digestRepo, NONE] as [string, string]];
    const shownDigest = digest === NONE ? NONE : shortId(digest);
    for (const [repo, tag] of pairs) {
      const cells = [repo, tag, shortId(img.id), humanSize(img.size)];
      if (opts.digests) cells.splice(2, 0, shownDigest);
      rows.push(cells);
    }
  }
  return rows.sort((a, b) => (a[0] ?? "").localeCompare(b[0] ?? "") || (a[1] ?? "").localeCompare(b[1] ?? ""));
}

/**
 * Whether `img` is the one `name` names: its id (full, bare hex or a prefix of six or
 * more hex characters), or one of its repo tags or digests as written or normalized
 * (`busybox` → `docker.io/library/busybox:latest`). `skiff images REF` applies this on
 * the client too, because some runtimes (containerd 1.6) ignore ListImages' filter.
 */
export function imageMatches(img: ListedImage, name: string): boolean {
  if (img.id === name) return true;
  if (/^(sha256:)?[0-9a-f]{6,64}$/.test(name) && digestHex(img.id).startsWith(digestHex(name))) return true;
  const names = new Set([name]);
  try {
    names.add(parseImageReference(name).full);
  } catch {
    // not a reference; only the literal name can match
  }
  return [...img.repoTags, ...img.repoDigests].some((r) => names.has(r));
}
