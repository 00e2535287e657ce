import { describe, expect, test } from "bun:test";
import { makedev } from "../../../src/platform/constants.ts";
import { errnoName, errnoNumber } from "../../../src/platform/linux/errno.ts";
import { describeWin32Error } from "../../../src/platform/windows/win32-error.ts";

describe("errnoName", () => {
  const cases = [
    { desc: "1 is EPERM", errno: 1, name: "EPERM" },
    { desc: "2 is ENOENT", errno: 2, name: "ENOENT" },
    { desc: "11 is EAGAIN, not its alias EWOULDBLOCK", errno: 11, name: "EAGAIN" },
    { desc: "13 is EACCES", errno: 13, name: "EACCES" },
    { desc: "16 is EBUSY", errno: 16, name: "EBUSY" },
    { desc: "17 is EEXIST", errno: 17, name: "EEXIST" },
    { desc: "22 is EINVAL", errno: 22, name: "EINVAL" },
    { desc: "40 is ELOOP, the last before the gap at 41", errno: 40, name: "ELOOP" },
    { desc: "42 is ENOMSG, right after the gap", errno: 42, name: "ENOMSG" },
    { desc: "59 is EBFONT, right after the gap at 58", errno: 59, name: "EBFONT" },
    { desc: "61 is ENODATA (missing xattr)", errno: 61, name: "ENODATA" },
    { desc: "95 is ENOTSUP, as Node names it", errno: 95, name: "ENOTSUP" },
    { desc: "110 is ETIMEDOUT", errno: 110, name: "ETIMEDOUT" },
    { desc: "133 is EHWPOISON, the last one", errno: 133, name: "EHWPOISON" },
    { desc: "41 is unused by Linux and unknown", errno: 41, name: "EUNKNOWN" },
    { desc: "0 is not an error number", errno: 0, name: "EUNKNOWN" },
    { desc: "a negative number is unknown", errno: -2, name: "EUNKNOWN" },
    { desc: "a number past the table is unknown", errno: 4095, name: "EUNKNOWN" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(errnoName(tc.errno)).toBe(tc.name));

  test("agrees with Node's names for every number Node knows", () => {
    const { getSystemErrorName } = require("node:util") as typeof import("node:util");
    for (let n = 1; n <= 133; n++) {
      const node = getSystemErrorName(-n);
      if (node.startsWith("Unknown")) continue;
      expect(`${n}:${errnoName(n)}`).toBe(`${n}:${node}`);
    }
  });
});

describe("errnoNumber", () => {
  const cases = [
    { desc: "ENOENT is 2", name: "ENOENT", errno: 2 },
    { desc: "the alias EOPNOTSUPP is 95", name: "EOPNOTSUPP", errno: 95 },
    { desc: "the alias EWOULDBLOCK is 11", name: "EWOULDBLOCK", errno: 11 },
    { desc: "an unknown name has no number", name: "ENOPE", errno: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(errnoNumber(tc.name)).toBe(tc.errno));
});

describe("describeWin32Error", () => {
  const cases = [
    { desc: "a missing file reads as ENOENT", error: 2, code: "ENOENT", detail: "win32 error 2 ERROR_FILE_NOT_FOUND" },
    { desc: "a missing path reads as ENOENT", error: 3, code: "ENOENT", detail: "win32 error 3 ERROR_PATH_NOT_FOUND" },
    { desc: "access denied reads as EACCES", error: 5, code: "EACCES", detail: "win32 error 5 ERROR_ACCESS_DENIED" },
    { desc: "an unknown error keeps its number", error: 9999, code: "EUNKNOWN", detail: "win32 error 9999" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(describeWin32Error(tc.error)).toEqual({ code: tc.code, detail: tc.detail }));
  }
});

describe("makedev", () => {
  // Expected values printed by glibc's makedev(3) on x86_64.
  const cases = [
    { desc: "1:3 (/dev/null) encodes as 259", major: 1, minor: 3, dev: 259n },
    { desc: "4095:255 fills the low 20 bits", major: 4095, minor: 255, dev: 1048575n },
    { desc: "large numbers use the high bits", major: 0x12345, minor: 0xabcdef, dev: 316705466435055n },
    { desc: "0:0 (a fifo) is 0", major: 0, minor: 0, dev: 0n },
  ];
  for (const tc of cases) test(tc.desc, () => expect(makedev(tc.major, tc.minor)).toBe(tc.dev));
});
