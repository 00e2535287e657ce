import { describe, expect, test } from "bun:test";
import { SPDY3_DICTIONARY } from "../../../../src/streaming/spdy/dictionary.ts";
import { HeaderBlockError, packHeaderBlock, unpackHeaderBlock } from "../../../../src/streaming/spdy/header-block.ts";
import { adler32 } from "../../../../src/streaming/spdy/header-zlib.ts";

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const text = (s: string) => Buffer.from(s).toString("hex");
const u32 = (n: number) => n.toString(16).padStart(8, "0");
/** A block from name/value strings, laid out by hand as section 2.6.10 draws it. */
const block = (...pairs: [string, string][]) => hex(u32(pairs.length) + pairs.map(([k, v]) => u32(Buffer.byteLength(k)) + text(k) + u32(Buffer.byteLength(v)) + text(v)).join(""));

describe("the SPDY/3 dictionary", () => {
  test("is the 1423 bytes whose Adler-32 is the DICTID 0xe3c6a7c2 that SPDY/3 zlib streams name", () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
    expect(Buffer.from(SPDY3_DICTIONARY.subarray(0, 11)).toString("latin1")).toBe("\0\0\0\x07options");
    expect(Buffer.from(SPDY3_DICTIONARY.subarray(-6)).toString("latin1")).toBe("enq=0.");
  });
});

describe("header blocks", () => {
  const roundTrips: { desc: string; headers: Record<string, string>; bytes: Uint8Array }[] = [
    { desc: "an empty set is a zero count", headers: {}, bytes: hex("00000000") },
    { desc: "one pair is length-prefixed name and value", headers: { streamtype: "error" }, bytes: block(["streamtype", "error"]) },
    { desc: "port-forward's three headers keep their order", headers: { streamtype: "data", port: "8080", requestid: "0" }, bytes: block(["streamtype", "data"], ["port", "8080"], ["requestid", "0"]) },
    { desc: "an empty value is allowed", headers: { x: "" }, bytes: block(["x", ""]) },
    { desc: "several values travel NUL-separated", headers: { accept: "a\0b" }, bytes: block(["accept", "a\0b"]) },
    { desc: "UTF-8 values survive", headers: { note: "grüß" }, bytes: block(["note", "grüß"]) },
  ];
  for (const tc of roundTrips) {
    test(`${tc.desc}`, () => {
      expect(Buffer.from(packHeaderBlock(tc.headers)).toString("hex")).toBe(Buffer.from(tc.bytes).toString("hex"));
      expect({ ...unpackHeaderBlock(tc.bytes) }).toEqual(tc.headers);
    });
  }

  test("names are lowercased when packed, as Kubernetes' streamType goes out as streamtype", () => {
    expect({ ...unpackHeaderBlock(packHeaderBlock({ streamType: "stdin" })) }).toEqual({ streamtype: "stdin" });
  });

  const packErrors: { desc: string; headers: Record<string, string>; message: RegExp }[] = [
    { desc: "an empty name is refused", headers: { "": "x" }, message: /empty/ },
    { desc: "two names that lowercase alike are refused", headers: { Port: "1", port: "2" }, message: /"port" appears twice/ },
  ];
  for (const tc of packErrors) test(tc.desc, () => expect(() => packHeaderBlock(tc.headers)).toThrow(tc.message));

  const hostile: { desc: string; bytes: Uint8Array; message: RegExp }[] = [
    { desc: "an empty block has no count", bytes: hex(""), message: /ends inside its pair count/ },
    { desc: "a count the block cannot hold is refused before anything is allocated", bytes: hex("ffffffff 00000001 61"), message: /claims 4294967295 pairs/ },
    { desc: "a name running past the end", bytes: hex(`00000001 000000ff ${text("abcdefgh")}`), message: /ends inside a name/ },
    { desc: "a value running past the end", bytes: hex(`00000001 00000001 ${text("a")} 00000009 ${text("abc")}`), message: /ends inside a value/ },
    { desc: "an empty name", bytes: block(["", "x"]), message: /name is empty/ },
    { desc: "an uppercase name", bytes: block(["Port", "1"]), message: /not lowercase/ },
    { desc: "a name with a NUL", bytes: block(["a\0b", "1"]), message: /not lowercase/ },
    { desc: "a duplicate name", bytes: block(["port", "1"], ["port", "2"]), message: /"port" appears twice/ },
    { desc: "a value starting with NUL", bytes: block(["a", "\0x"]), message: /empty value/ },
    { desc: "a value with two NULs in a row", bytes: block(["a", "x\0\0y"]), message: /empty value/ },
    { desc: "bytes after the last pair", bytes: hex(`${Buffer.from(block(["a", "b"])).toString("hex")}00`), message: /1 bytes after its last pair/ },
  ];
  for (const tc of hostile) {
    test(`a block with ${tc.desc} is a HeaderBlockError`, () => {
      expect(() => unpackHeaderBlock(tc.bytes)).toThrow(HeaderBlockError);
      expect(() => unpackHeaderBlock(tc.bytes)).toThrow(tc.message);
    });
  }

  test("a header named __proto__ is an ordinary entry, not a prototype", () => {
    const h = unpackHeaderBlock(block(["__proto__", "x"], ["constructor", "y"]));
    expect(Object.getPrototypeOf(h)).toBeNull();
    expect(h["__proto__"]).toBe("x");
    expect(h["constructor"] as unknown).toBe("y");
  });
});
