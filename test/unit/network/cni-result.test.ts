import { describe, expect, test } from "bun:test";
import { convertResult, parseCniResult, podIps } from "../../../src/network/cni-result.ts";

describe("parseCniResult", () => {
  test("a result object is returned as is", () => {
    expect(parseCniResult('{"cniVersion":"1.0.0","ips":[{"address":"10.1.0.2/24"}]}')).toEqual({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.2/24" }] });
  });
  const bad = [
    { desc: "empty output is refused", out: "", want: "not json" },
    { desc: "a result without cniVersion is refused", out: '{"ips":[]}', want: "no cniVersion" },
    { desc: "ips that are not a list are refused", out: '{"cniVersion":"1.0.0","ips":{}}', want: "not a list" },
    { desc: "a bare string is refused", out: '"x"', want: "not a json object" },
  ];
  for (const tc of bad) test(tc.desc, () => expect(() => parseCniResult(tc.out)).toThrow(tc.want));
});

describe("convertResult", () => {
  test("a 0.4.0 result loses ips[].version when converted to 1.0.0", () => {
    const r = convertResult({ cniVersion: "0.4.0", ips: [{ version: "4", address: "10.1.0.2/24", gateway: "10.1.0.1" }], dns: {} }, "1.0.0");
    expect(r).toEqual({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.2/24", gateway: "10.1.0.1" }], dns: {} });
  });
  test("a 1.0.0 result gains ips[].version by address family when converted to 0.4.0", () => {
    const r = convertResult({ cniVersion: "1.0.0", ips: [{ address: "10.1.0.2/24" }, { address: "fd00::2/64" }] }, "0.4.0");
    expect(r.ips).toEqual([{ address: "10.1.0.2/24", version: "4" }, { address: "fd00::2/64", version: "6" }]);
    expect(r.cniVersion).toBe("0.4.0");
  });
  test("a result already in the wanted version is the same object", () => {
    const r = { cniVersion: "1.0.0", ips: [] };
    expect(convertResult(r, "1.0.0")).toBe(r);
  });
});

describe("podIps", () => {
  const cases = [
    { desc: "addresses lose their prefix length", results: [{ ips: [{ address: "10.1.0.2/24" }] }], want: ["10.1.0.2"] },
    { desc: "IPv4 comes before IPv6 whatever the plugin order", results: [{ ips: [{ address: "fd00::5/64" }, { address: "10.1.0.2/24" }] }], want: ["10.1.0.2", "fd00::5"] },
    { desc: "the first network's IPv4 is primary over a later network's", results: [{ ips: [{ address: "10.1.0.2/24" }] }, { ips: [{ address: "10.2.0.2/24" }] }], want: ["10.1.0.2", "10.2.0.2"] },
    { desc: "results without ips and junk entries give nothing", results: [{}, null, { ips: [{ address: 5 }, { address: "nope/3" }] }], want: [] },
    { desc: "duplicates are dropped", results: [{ ips: [{ address: "10.1.0.2/24" }] }, { ips: [{ address: "10.1.0.2/24" }] }], want: ["10.1.0.2"] },
  ];
  for (const tc of cases) test(tc.desc, () => expect(podIps(tc.results)).toEqual(tc.want));
});
