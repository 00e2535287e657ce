/**
 * A streaming tar reader: `readTar(source)` yields one `TarEntry` per file, with the
 * body as an async iterable of chunks read straight from the stream. Only one header
 * (at most `maxHeaderBytes` of PAX or GNU long-name data) is ever held in memory.
 *
 * It follows Go's archive/tar (which built most image layers and which containerd reads
 * them with) wherever formats leave room for choice, so skiff sees the same entries:
 * header-only types (links, devices, dirs, fifos) carry no body whatever their size
 * field says; a '\0' typeflag with a trailing '/' is a directory; global PAX records
 * apply to every later entry; the archive ends at a zero block or at the end of the
 * stream. Formats: https://pubs.opengroup.org/onlinepubs/9799919799/utilities/pax.html
 * and https://www.gnu.org/software/tar/manual/html_node/Standard.html
 */
import { ByteReader, type ByteSource } from "./byte-reader.ts";
import { TarFormatError, UnpackError, UnpackLimitError } from "./errors.ts";
import { paxInteger, type PaxRecords, paxText, paxTime, parsePax } from "./pax.ts";
import { BLOCK_SIZE, isZeroBlock, padding, parseHeader, type RawHeader } from "./tar-header.ts";

export type TarEntryType = "file" | "link" | "symlink" | "char" | "block" | "dir" | "fifo";

export interface TarEntry {
  /** The path as the archive gives it (PAX `path` or GNU long name applied); not yet cleaned. */
  readonly name: string;
  readonly type: TarEntryType;
  /** Body length in bytes; 0 for every type but "file". */
  readonly size: number;
  /** Permission bits including setuid, setgid and sticky (`& 0o7777`). */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly uname: string;
  readonly gname: string;
  /** Seconds since the epoch; PAX times keep their fraction. */
  readonly mtime: number;
  /** From PAX `atime` only; ustar has no atime. */
  readonly atime?: number;
  /** Symlink target, or hardlink target path (in archive terms). */
  readonly linkname: string;
  readonly devmajor: number;
  readonly devminor: number;
  /** Extended attributes from PAX `SCHILY.xattr.<name>` records. */
  readonly xattrs: ReadonlyMap<string, Uint8Array>;
  /**
   * The body, streamed. Read it before asking for the next entry; whatever is left unread
   * is skipped then, and reading it afterwards throws.
   */
  readonly body: AsyncIterable<Uint8Array>;
}

export interface TarReaderOptions {
  /** Largest PAX header or GNU long name/link body accepted, in bytes. Default 1 MiB. */
  maxHeaderBytes?: number;
  /** Most entries (not counting PAX/GNU meta headers) accepted. Default 2^21. */
  maxEntries?: number;
  /** Read the stream to its end after the end-of-archive marker (so a hash over it completes). Default true. */
  drain?: boolean;
}

export const DEFAULT_MAX_HEADER_BYTES = 1 << 20;
export const DEFAULT_MAX_ENTRIES = 1 << 21;

const TYPES: Readonly<Record<string, TarEntryType>> = {
  "0": "file",
  "7": "file", // contiguous file: a regular file everywhere that matters
  "1": "link",
  "2": "symlink",
  "3": "char",
  "4": "block",
  "5": "dir",
  "6": "fifo",
};

/** Reads entries from a tar stream. Throws `TarFormatError` on malformed input. */
export async function* readTar(source: ByteSource | ByteReader, opts: TarReaderOptions = {}): AsyncGenerator<TarEntry> {
  const maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const maxEntries = opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
  const reader = source instanceof ByteReader ? source : new ByteReader(source);
  const global: PaxRecords = new Map();
  let local: PaxRecords | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  let entries = 0;
  let body: BodyState | undefined;
  let finished = false;

  /** Reads the body of a meta header (PAX, GNU long name) into memory, within the bound. */
  const readMeta = async (h: RawHeader, what: string): Promise<Uint8Array> => {
    if (h.size > maxHeaderBytes) {
      throw new UnpackLimitError(`${what} of ${h.size} bytes exceeds the limit of ${maxHeaderBytes} bytes`);
    }
    const data = (await reader.readExact(h.size, what)) ?? new Uint8Array(0);
    if (data.length < h.size) throw new TarFormatError(`archive truncated in ${what}`);
    // A copy: skipping the padding may read the next chunk, and a chunk's buffer may be
    // used again for it (decompress.ts, reuseBuffers).
    const kept = data.slice();
    await reader.skip(padding(h.size), what);
    return kept;
  };

  try {
    for (;;) {
      if (body) {
        body.closed = true;
        await reader.skip(body.remaining + body.pad, `the body of ${JSON.stringify(body.name)}`);
        body = undefined;
      }
      const offset = reader.position;
      const block = await reader.readExact(BLOCK_SIZE, "a header");
      if (block === null) {
        if (local || longName !== undefined || longLink !== undefined) {
          throw new TarFormatError("archive ends after an extended header, before its entry");
        }
        break;
      }
      if (isZeroBlock(block)) break; // end of archive; the second zero block is drained below
      let h: RawHeader;
      try {
        h = parseHeader(block);
      } catch (err) {
        throw new TarFormatError(`header at byte ${offset}: ${(err as Error).message}`, undefined, { cause: err });
      }
      if (h.size < 0) throw new TarFormatError(`header at byte ${offset}: negative size`);

      switch (h.typeflag) {
        case "x":
          // Kept raw (empty values too) so an empty value can still cancel a global record.
          local = new Map([...(local ?? []), ...parsePax(await readMeta(h, "a pax header"))]);
          continue;
        case "g": {
          mergePax(global, parsePax(await readMeta(h, "a global pax header")));
          let total = 0;
          for (const [k, v] of global) total += k.length + v.length;
          if (total > maxHeaderBytes) {
            throw new UnpackLimitError(`global pax records exceed the limit of ${maxHeaderBytes} bytes`);
          }
          continue;
        }
        case "L":
          longName = nulTerminated(await readMeta(h, "a GNU long name"));
          continue;
        case "K":
          longLink = nulTerminated(await readMeta(h, "a GNU long link name"));
          continue;
      }

      if (++entries > maxEntries) throw new UnpackLimitError(`layer has more than ${maxEntries} entries`);
      const pax = local ? mergePax(new Map(global), local) : global;
      const entry = buildEntry(h, pax, longName, longLink);
      local = undefined;
      longName = longLink = undefined;
      const state: BodyState = { name: entry.name, remaining: entry.size, pad: padding(entry.size), closed: false };
      body = state;
      yield { ...entry, body: bodyOf(reader, state) };
    }
    finished = true;
    if (opts.drain ?? true) await reader.drain();
  } finally {
    if (!finished) await reader.close().catch(() => {});
  }
}

interface BodyState {
  name: string;
  remaining: number;
  pad: number;
  closed: boolean;
}

async function* bodyOf(reader: ByteReader, state: BodyState): AsyncGenerator<Uint8Array> {
  if (state.closed) throw new UnpackError("body read after the reader moved to the next entry", state.name);
  while (state.remaining > 0) {
    const chunk = await reader.take(state.remaining);
    if (chunk === null) throw new TarFormatError("archive truncated in the file body", state.name);
    state.remaining -= chunk.length;
    yield chunk;
  }
}

/** Applies `more` on top of `into`; an empty value removes the key (POSIX: "deleted"). */
function mergePax(into: PaxRecords, more: PaxRecords): PaxRecords {
  for (const [k, v] of more) {
    if (v.length === 0) into.delete(k);
    else into.set(k, v);
  }
  return into;
}

function nulTerminated(b: Uint8Array): string {
  const nul = b.indexOf(0);
  return new TextDecoder().decode(nul === -1 ? b : b.subarray(0, nul));
}

type EntryFields = Omit<TarEntry, "body">;

const validId = (n: number): boolean => n >= 0 && n < 0xffff_ffff;

function buildEntry(h: RawHeader, pax: PaxRecords, longName?: string, longLink?: string): EntryFields {
  let name = longName ?? h.name;
  let linkname = longLink ?? h.linkname;
  let { size, uid, gid, uname, gname, mtime } = h;
  let atime: number | undefined;
  const xattrs = new Map<string, Uint8Array>();
  for (const [key, v] of pax) {
    switch (key) {
      case "path":
        name = paxText(v);
        break;
      case "linkpath":
        linkname = paxText(v);
        break;
      case "size":
        size = paxInteger(key, v);
        break;
      case "uid":
        uid = paxInteger(key, v);
        break;
      case "gid":
        gid = paxInteger(key, v);
        break;
      case "uname":
        uname = paxText(v);
        break;
      case "gname":
        gname = paxText(v);
        break;
      case "mtime":
        mtime = paxTime(key, v);
        break;
      case "atime":
        atime = paxTime(key, v);
        break;
      default:
        if (key.startsWith("SCHILY.xattr.")) xattrs.set(key.slice("SCHILY.xattr.".length), v);
        else if (key.startsWith("GNU.sparse.")) {
          throw new TarFormatError("GNU sparse files are not supported", name);
        }
      // Other keys (ctime, comment, charset, hdrcharset, vendor records) do not affect extraction.
    }
  }
  let type = TYPES[h.typeflag];
  if (h.typeflag === "\0") type = name.endsWith("/") ? "dir" : "file";
  if (type === undefined) {
    const shown = /^[\x20-\x7e]$/.test(h.typeflag) ? h.typeflag : `0x${h.typeflag.charCodeAt(0).toString(16)}`;
    throw new TarFormatError(`unsupported entry type '${shown}'`, name);
  }
  // 0xffffffff is (uid_t)-1, "leave unchanged" to chown(2); larger values would wrap.
  if (!validId(uid) || !validId(gid)) throw new TarFormatError(`uid ${uid} or gid ${gid} out of range`, name);
  if (!validId(h.devmajor) || !validId(h.devminor)) throw new TarFormatError("device number out of range", name);
  return {
    name,
    type,
    size: type === "file" ? size : 0,
    mode: h.mode,
    uid,
    gid,
    uname,
    gname,
    mtime,
    ...(atime === undefined ? {} : { atime }),
    linkname,
    devmajor: h.devmajor,
    devminor: h.devminor,
    xattrs,
  };
}
