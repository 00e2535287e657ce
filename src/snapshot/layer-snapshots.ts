/**
 * Where unpacked image layers live, one directory per chain id: overlay lower dirs on
 * Linux (overlay-snapshots.ts), vmcompute layer folders on Windows (windows-layer-snapshots.ts).
 * A layer is unpacked into a temp dir from `prepare`, then `commit` makes it a layer.
 */
export interface LayerSnapshots {
  /** How the unpacker must lay layer tars out for this store. */
  readonly layout: "overlay" | "windows";
  /** The directory a committed snapshot lives in. */
  pathOf(chainId: string): string;
  /** The directory the runtime uses for this layer (overlay lower dir, layer folder). */
  fsOf(chainId: string): string;
  exists(chainId: string): boolean;
  /** A fresh temp dir to unpack into; returns it and the folder inside to fill. */
  prepare(): Promise<{ tmp: string; fs: string }>;
  /**
   * Makes the unpacked temp dir the layer `chainId`. `parents` are the chain ids of the
   * layers below, nearest first; `tombstones` what the layer deletes (Windows layout).
   */
  commit(tmp: string, chainId: string, parents: readonly string[], tombstones?: readonly string[]): Promise<string>;
  discard(tmp: string): Promise<void>;
  remove(chainId: string): Promise<void>;
  /** Removes what a crash left half-done; returns how many. */
  cleanTemp(): Promise<number>;
  /** Chain ids of every committed snapshot on disk. */
  list(): Promise<string[]>;
}
