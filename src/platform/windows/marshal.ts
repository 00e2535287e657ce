/**
 * Moving values across the Win32 ABI: UTF-16 strings in and out, GUIDs, and the two
 * structs the layer calls take. Every buffer handed to a DLL is returned together with
 * the buffers it points into (`keep`), which the caller holds until the call returns so
 * the garbage collector cannot free memory a pointer still refers to.
 *
 * Layouts (x64):
 * - DriverInfo `{ GraphDriverType Flavour (4 bytes, padded to 8); LPCWSTR HomeDir; }`,
 *   16 bytes; hcsshim passes Flavour 1 (FilterDriver) and an empty HomeDir;
 * - WC_LAYER_DESCRIPTOR `{ GUID LayerId; ULONG Flags; (4 pad) PCWSTR Path; }`, 32 bytes;
 * - GUID `{ u32 Data1; u16 Data2; u16 Data3; u8 Data4[8]; }`, little-endian fields.
 */
import { ptr, read } from "bun:ffi";
import { InvalidArgumentError } from "../../errors.ts";

/** A NUL-terminated UTF-16LE copy of `s`, to pass as `LPCWSTR`. */
export function wstr(s: string): Buffer {
  return Buffer.from(`${s}\0`, "utf16le");
}

/** Reads a NUL-terminated UTF-16LE string at `p` (an address a DLL handed back). */
export function readWide(p: number | bigint, maxChars = 1 << 24): string {
  const addr = typeof p === "bigint" ? Number(p) : p;
  if (addr === 0) return "";
  const units: number[] = [];
  for (let i = 0; i < maxChars; i++) {
    const u = read.u16(addr, i * 2);
    if (u === 0) break;
    units.push(u);
  }
  let out = "";
  for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.slice(i, i + 4096));
  return out;
}

/** A UTF-16 string in a buffer: up to the first NUL. */
export function wideFromBuffer(b: Uint8Array, chars: number): string {
  const s = Buffer.from(b.buffer, b.byteOffset, Math.min(b.byteLength, chars * 2)).toString("utf16le");
  const nul = s.indexOf("\0");
  return nul < 0 ? s : s.slice(0, nul);
}

const GUID_RE = /^\{?([0-9a-fA-F]{8})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{4})-([0-9a-fA-F]{12})\}?$/;

/** The 16 bytes of a GUID given as `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`. */
export function guidBytes(guid: string): Uint8Array {
  const m = GUID_RE.exec(guid);
  if (!m) throw new InvalidArgumentError("guid", `"${guid}" is not a GUID`);
  const out = new Uint8Array(16);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, Number.parseInt(m[1]!, 16), true);
  dv.setUint16(4, Number.parseInt(m[2]!, 16), true);
  dv.setUint16(6, Number.parseInt(m[3]!, 16), true);
  const tail = `${m[4]}${m[5]}`;
  for (let i = 0; i < 8; i++) out[8 + i] = Number.parseInt(tail.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** The lowercase string form of 16 GUID bytes. */
export function guidString(b: Uint8Array): string {
  const dv = new DataView(b.buffer, b.byteOffset, 16);
  const h = (n: number, w: number) => n.toString(16).padStart(w, "0");
  const tail = [...b.subarray(8, 16)].map((x) => h(x, 2)).join("");
  return `${h(dv.getUint32(0, true), 8)}-${h(dv.getUint16(4, true), 4)}-${h(dv.getUint16(6, true), 4)}-${tail.slice(0, 4)}-${tail.slice(4)}`;
}

export type Marshalled = { buf: Buffer; keep: unknown[] };

/** hcsshim's standard DriverInfo: the filter driver (1) and an empty home dir. */
export function driverInfo(): Marshalled {
  const home = wstr("");
  const buf = Buffer.alloc(16);
  buf.writeInt32LE(1, 0);
  buf.writeBigUInt64LE(BigInt(ptr(home)), 8);
  return { buf, keep: [home] };
}

/** WC_LAYER_DESCRIPTORs for layers given by path and GUID (Flags 0), in the order given. */
export function layerDescriptors(layers: readonly { path: string; guid: string }[]): Marshalled {
  const buf = Buffer.alloc(Math.max(1, layers.length) * 32);
  const keep: unknown[] = [];
  layers.forEach((l, i) => {
    const at = i * 32;
    buf.set(guidBytes(l.guid), at);
    buf.writeUInt32LE(0, at + 16);
    const path = wstr(l.path);
    keep.push(path);
    buf.writeBigUInt64LE(BigInt(ptr(path)), at + 24);
  });
  return { buf, keep };
}

/** Decodes WC_LAYER_DESCRIPTORs (what a fake vmcompute reads back). */
export function readLayerDescriptors(p: number | bigint | Uint8Array, count: number): { guid: string; flags: number; path: string }[] {
  const base = p instanceof Uint8Array ? p : new Uint8Array(0);
  const out: { guid: string; flags: number; path: string }[] = [];
  for (let i = 0; i < count; i++) {
    const rec = Buffer.from(base.buffer, base.byteOffset + i * 32, 32);
    out.push({ guid: guidString(rec.subarray(0, 16)), flags: rec.readUInt32LE(16), path: readWide(rec.readBigUInt64LE(24)) });
  }
  return out;
}

/** One pointer-sized out parameter (`HANDLE*`, `PWSTR*`), read back with `.value`. */
export function outPointer(): { buf: BigUint64Array; readonly value: bigint } {
  const buf = new BigUint64Array(1);
  return {
    buf,
    get value() {
      return buf[0] ?? 0n;
    },
  };
}
