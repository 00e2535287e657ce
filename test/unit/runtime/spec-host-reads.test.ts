import { describe, expect, test } from "bun:test";
import { ALL_CAPABILITIES } from "../../../src/oci/opts/security.ts";
import { capabilityNames, specHostFor } from "../../../src/runtime/spec-host-reads.ts";

describe("capabilityNames", () => {
  const cases = [
    { desc: "a full 41-bit set names every capability up to CAP_CHECKPOINT_RESTORE", hex: "000001ffffffffff", want: [...ALL_CAPABILITIES] },
    { desc: "a set without bit 24 leaves out CAP_SYS_RESOURCE", hex: "000001fffeffffff", want: ALL_CAPABILITIES.filter((c) => c !== "CAP_SYS_RESOURCE") },
    { desc: "bits skiff does not know are left out", hex: "ffffffffffffffff", want: [...ALL_CAPABILITIES] },
    { desc: "an empty set names none", hex: "0000000000000000", want: [] },
  ];
  for (const tc of cases) {
    test(tc.desc, () => expect(capabilityNames(`Name:\tskiff\nCapInh:\t0000000000000000\nCapBnd:\t${tc.hex}\nCapAmb:\t0\n`)).toEqual(tc.want));
  }

  test("a status text with no CapBnd line gives undefined, so every known capability applies", () => {
    expect(capabilityNames("Name:\tskiff\n")).toBeUndefined();
  });
});

describe("specHostFor", () => {
  const host = { cgroupDriver: "cgroupfs" as const, canLowerOomScoreAdj: true, ownOomScoreAdj: 0 };
  test("an unprivileged container gets the host facts as they are, with no device read", () => {
    expect(specHostFor(host, { linux: undefined }, false)).toBe(host);
  });
  test("a privileged container of a handler without host devices reads none", () => {
    const config = { linux: { securityContext: { privileged: true } } } as never;
    expect(specHostFor(host, config, true)).toBe(host);
  });
});
