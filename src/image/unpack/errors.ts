/**
 * Errors of layer unpacking. A layer is attacker-controlled input (DESIGN.md rule 5), so
 * every refusal says which entry and why, e.g.
 * `layer entry "evil/passwd": parent "evil" is a symlink`.
 */
import { SkiffError } from "../../errors.ts";

/**
 * The layer is malformed or hostile: a bad tar header, a path that leaves the snapshot,
 * a limit exceeded. The pull fails; the caller deletes the half-written snapshot.
 */
export class UnpackError extends SkiffError {
  constructor(
    message: string,
    /** The tar entry at fault, when there is one. */
    readonly entry?: string,
    options?: ErrorOptions,
  ) {
    super(entry === undefined ? message : `layer entry ${quote(entry)}: ${message}`, options);
  }
}

/** The tar stream itself is broken (checksum, numeric field, truncation, PAX syntax). */
export class TarFormatError extends UnpackError {}

/** A configured bound (bytes, entries, header size) was exceeded. */
export class UnpackLimitError extends UnpackError {}

/** JSON-quotes a name from the layer so control characters cannot garble a log line. */
export function quote(name: string): string {
  return JSON.stringify(name.length > 256 ? `${name.slice(0, 256)}...` : name);
}
