import { describe, expect, test } from "bun:test";
import { NotSupportedError } from "../../../src/errors.ts";
import { createPlatform } from "../../../src/platform/index.ts";

describe("createPlatform", () => {
  const cases = [
    { desc: "win32 gives the windows platform", os: "win32", want: "windows" as const },
    { desc: "windows gives the windows platform", os: "windows", want: "windows" as const },
  ];
  for (const tc of cases) test(tc.desc, () => expect(createPlatform(tc.os).os).toBe(tc.want));

  test.skipIf(process.platform !== "linux")("linux gives the linux platform (libc loads without root)", () => {
    expect(createPlatform("linux").os).toBe("linux");
    expect(createPlatform().os).toBe("linux");
  });

  test("an OS skiff does not run on is refused", () => {
    expect(() => createPlatform("darwin")).toThrow(NotSupportedError);
    expect(() => createPlatform("darwin")).toThrow('os "darwin" is not supported');
  });
});
