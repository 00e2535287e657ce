/** Layer unpacking: streaming tar reader, bounded decompression, contained extraction. */
export { type ApplyEntriesOptions, type ApplyStats, applyEntries, MAX_WARNINGS } from "./apply-entries.ts";
export { type ApplyLayerOptions, type ApplyLayerResult, applyLayer } from "./apply-layer.ts";
export { ByteReader, type ByteSource, iterateBytes } from "./byte-reader.ts";
export {
  type Compression,
  DecompressedLayer,
  type DecompressOptions,
  DEFAULT_MAX_LAYER_BYTES,
  decompressLayer,
  type LayerDigests,
  sniffCompression,
} from "./decompress.ts";
export { TarFormatError, UnpackError, UnpackLimitError } from "./errors.ts";
export { SafeTree, splitEntryPath } from "./safe-path.ts";
export {
  DEFAULT_MAX_ENTRIES,
  DEFAULT_MAX_HEADER_BYTES,
  readTar,
  type TarEntry,
  type TarEntryType,
  type TarReaderOptions,
} from "./tar-reader.ts";
export { OVERLAY_OPAQUE_XATTR, WHITEOUT_OPAQUE, WHITEOUT_PREFIX } from "./whiteout.ts";
