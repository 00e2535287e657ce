import { describe, expect, test } from "bun:test";
import { handlerFeatures, kernelAtLeast, parseMountOptions } from "../../../src/runtime/runtime-features.ts";

describe("runtime features", () => {
  test("mountOptions are read from a features document, and anything else gives none", () => {
    expect(parseMountOptions('{"ociVersionMin":"1.0.0","mountOptions":["bind","rro",3]}')).toEqual(["bind", "rro"]);
    expect(parseMountOptions('{"ociVersionMin":"1.0.0"}')).toBeUndefined();
    expect(parseMountOptions("unknown command features")).toBeUndefined();
  });

  const kernels = [
    { desc: "a newer major passes", release: "6.1.0-13-amd64", want: true },
    { desc: "exactly 5.12 passes", release: "5.12.0", want: true },
    { desc: "5.10 is too old", release: "5.10.0-28-amd64", want: false },
    { desc: "a release that is not a version fails", release: "weird", want: false },
  ];
  for (const tc of kernels) test(tc.desc, () => expect(kernelAtLeast(tc.release, 5, 12)).toBe(tc.want));

  test("recursive read-only mounts need both rro and a new enough kernel", () => {
    expect(handlerFeatures(["rro"], "6.18.4").recursiveReadOnlyMounts).toBe(true);
    expect(handlerFeatures(["rro"], "5.4.0").recursiveReadOnlyMounts).toBe(false);
    expect(handlerFeatures(["bind"], "6.18.4").recursiveReadOnlyMounts).toBe(false);
    expect(handlerFeatures(undefined, "6.18.4").recursiveReadOnlyMounts).toBe(false);
  });
});
