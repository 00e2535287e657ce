/**
 * Short forms of image ids and digests. crictl truncates ids to 13 characters after
 * the algorithm (`truncatedIDLen` in cri-tools' cmd/crictl/util.go); docker's progress
 * lines name layers by 12.
 */

/** Characters crictl keeps of an image id or digest. */
export const SHORT_ID_LENGTH = 13;

/** Characters of a layer digest in progress lines. */
export const SHORT_DIGEST_LENGTH = 12;

/** The hex part of `sha256:abc…` (or any `alg:hex`); a bare string comes back as is. */
export function digestHex(id: string): string {
  const colon = id.indexOf(":");
  return colon < 0 ? id : id.slice(colon + 1);
}

/** An image id as `skiff images` shows it: `sha256:` dropped, 13 hex characters. */
export function shortId(id: string): string {
  return digestHex(id).slice(0, SHORT_ID_LENGTH);
}

/** A layer digest as progress lines name it: 12 hex characters. */
export function shortDigest(digest: string): string {
  return digestHex(digest).slice(0, SHORT_DIGEST_LENGTH);
}
