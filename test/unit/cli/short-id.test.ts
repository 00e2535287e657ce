import { describe, expect, test } from "bun:test";
import { digestHex, shortDigest, shortId } from "../../../src/cli/short-id.ts";

const id = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("short ids", () => {
  test("shortId drops the algorithm and keeps 13 characters, as crictl", () => expect(shortId(id)).toBe("0123456789abc"));
  test("shortDigest keeps 12 characters for progress lines", () => expect(shortDigest(id)).toBe("0123456789ab"));
  test("a bare hex id is cut the same way", () => expect(shortId(digestHex(id))).toBe("0123456789abc"));
  test("digestHex leaves a string without an algorithm alone", () => expect(digestHex("abc")).toBe("abc"));
});
