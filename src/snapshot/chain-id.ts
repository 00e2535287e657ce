/**
 * Chain ids name a stack of layers, per the OCI image spec: the first layer's chain id
 * is its diff id; each next one is sha256 of "<parent chain id> <diff id>". Two images
 * that share their lower layers share those snapshots.
 */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const diffId of diffIds) {
    const parent = out.at(-1);
    out.push(parent === undefined ? diffId : `sha256:${new Bun.CryptoHasher("sha256").update(`${parent} ${diffId}`).digest("hex")}`);
  }
  return out;
}
