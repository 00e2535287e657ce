import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { parsePodCidrs } from "../../../src/cri/update-runtime-config.ts";

describe("parsePodCidrs", () => {
  const ok = [
    { desc: "empty means nothing to store", raw: "", want: [] },
    { desc: "one IPv4 CIDR", raw: "10.88.0.0/16", want: ["10.88.0.0/16"] },
    { desc: "one IPv6 CIDR, lowercased", raw: "FD00:10:88::/64", want: ["fd00:10:88::/64"] },
    { desc: "a full IPv6 address", raw: "2001:db8:0:0:0:0:0:0/32", want: ["2001:db8:0:0:0:0:0:0/32"] },
    { desc: "a dual-stack pair with spaces", raw: "10.88.0.0/16, fd00::/64", want: ["10.88.0.0/16", "fd00::/64"] },
  ];
  for (const tc of ok) test(tc.desc, () => expect(parsePodCidrs(tc.raw)).toEqual(tc.want));

  const bad = ["10.88.0.0", "10.88.0.0/", "256.0.0.0/8", "10.0.0.0/33", "fd00::/129", "fd00:::1/64", "1:2:3:4:5:6:7:8:9/64", "abc/8", "10.0.0.0/16,"];
  for (const raw of bad) {
    test(`"${raw}" is refused naming the field`, () => {
      expect(() => parsePodCidrs(raw)).toThrow(InvalidArgumentError);
      expect(() => parsePodCidrs(raw)).toThrow(/runtime_config\.network_config\.pod_cidr/);
    });
  }
});
