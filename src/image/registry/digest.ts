/**
 * Content digests (OCI image-spec descriptor.md#digests) computed with Bun's native
 * hashers.
 */
import { type DigestAlgorithm, digestAlgorithm } from "../reference.ts";

/** `sha256:<hex>` (or sha512) of some bytes. */
export function digestOf(bytes: Uint8Array | string, algorithm: DigestAlgorithm = "sha256"): string {
  return `${algorithm}:${new Bun.CryptoHasher(algorithm).update(bytes).digest("hex")}`;
}

/** A running hash for the algorithm of `expected`, so verifying a sha512 blob uses sha512. */
export function hasherFor(expected: string): { update(chunk: Uint8Array): void; digest(): string } {
  const algorithm = digestAlgorithm(expected);
  const hasher = new Bun.CryptoHasher(algorithm);
  return {
    update: (chunk) => void hasher.update(chunk),
    digest: () => `${algorithm}:${hasher.digest("hex")}`,
  };
}
