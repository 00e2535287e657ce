import { describe, expect, test } from "bun:test";
import { UsageError } from "../../../src/cli/client-args.ts";
import { checkArgs, scanArgs } from "../../../src/cli/strict-args.ts";

const def = {
  endpoint: { type: "string" as const },
  output: { type: "enum" as const, alias: "o", options: ["json", "table"] },
  quiet: { type: "boolean" as const, alias: "q" },
  all: { type: "boolean" as const, alias: "a" },
  "identity-token": { type: "string" as const },
  image: { type: "positional" as const },
};

describe("scanArgs", () => {
  const cases: { desc: string; argv: string[]; operands: string[]; unknown: string[] }[] = [
    { desc: "operands are the words that are no flags or flag values", argv: ["--endpoint", "unix:///x", "busybox", "-o", "json"], operands: ["busybox"], unknown: [] },
    { desc: "--flag=value takes no extra word", argv: ["--endpoint=unix:///x", "busybox"], operands: ["busybox"], unknown: [] },
    { desc: "an unknown long flag is reported", argv: ["--quite", "x"], operands: ["x"], unknown: ["--quite"] },
    { desc: "an unknown short flag is reported", argv: ["-z"], operands: [], unknown: ["-z"] },
    { desc: "short booleans can be grouped", argv: ["-qa"], operands: [], unknown: [] },
    { desc: "a short value flag takes the rest of its word", argv: ["-ojson", "img"], operands: ["img"], unknown: [] },
    { desc: "kebab and camel spellings are both known", argv: ["--identity-token", "t", "--identityToken", "u"], operands: [], unknown: [] },
    { desc: "a boolean may be negated with --no-", argv: ["--no-quiet"], operands: [], unknown: [] },
    { desc: "a value flag may not be negated", argv: ["--no-endpoint"], operands: [], unknown: ["--no-endpoint"] },
    { desc: "a lone dash is an operand (stdin)", argv: ["-"], operands: ["-"], unknown: [] },
    { desc: "everything after -- is an operand", argv: ["--", "--quiet", "-x"], operands: ["--quiet", "-x"], unknown: [] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(scanArgs(tc.argv, def)).toEqual({ operands: tc.operands, unknown: tc.unknown }));
  }
});

describe("checkArgs", () => {
  const usage = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return (err as Error).message;
    }
    throw new Error("no usage error");
  };
  test("returns the operands when all is well", () => expect(checkArgs(["a", "b"], def, { min: 1 })).toEqual(["a", "b"]));
  test("an unknown flag is a usage error naming it", () => expect(usage(() => checkArgs(["--bogus"], def))).toContain("--bogus"));
  test("too few operands is a usage error", () => expect(usage(() => checkArgs([], def, { min: 1, what: "image" }))).toBe("missing image"));
  test("too many operands is a usage error", () => expect(usage(() => checkArgs(["a", "b"], def, { max: 1, what: "image" }))).toContain("at most 1 image"));
  test("no operands allowed names the stray one", () => expect(usage(() => checkArgs(["x"], def, { max: 0 }))).toBe('unexpected argument "x"'));
});
