import { describe, expect, test } from "bun:test";
import { bundleImageRefs } from "../../../src/cli/bundle.ts";

describe("bundleImageRefs", () => {
  const cases: { desc: string; raw: string[]; operands: string[]; want: string[] }[] = [
    { desc: "--images then more words names them all", raw: ["--file", "b", "--images", "a:1", "b:2", "c:3"], operands: ["b:2", "c:3"], want: ["a:1", "b:2", "c:3"] },
    { desc: "a comma-separated value is split", raw: ["--images", "a:1,b:2"], operands: [], want: ["a:1", "b:2"] },
    { desc: "--images= and a repeated flag add up, without repeats", raw: ["--images=a:1", "--images", "b:2", "--images", "a:1"], operands: [], want: ["a:1", "b:2"] },
    { desc: "operands alone work too", raw: ["a:1"], operands: ["a:1"], want: ["a:1"] },
    { desc: "no images makes a bundle of skiff alone", raw: ["--file", "b"], operands: [], want: [] },
  ];
  for (const tc of cases) test(tc.desc, () => expect(bundleImageRefs(tc.raw, tc.operands)).toEqual(tc.want));
});
