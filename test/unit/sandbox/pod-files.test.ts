import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { DNSConfigSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { hasDnsConfig, hostnameFile, podHostsFile, resolvConfFile } from "../../../src/sandbox/pod-files.ts";

describe("resolvConfFile", () => {
  const cases = [
    { desc: "servers, searches and options each get their line", dns: { servers: ["10.96.0.10"], searches: ["ns.svc.cluster.local", "svc.cluster.local"], options: ["ndots:5"] }, want: "search ns.svc.cluster.local svc.cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n" },
    { desc: "several servers keep their order", dns: { servers: ["1.1.1.1", "fd00::1"], searches: [], options: [] }, want: "nameserver 1.1.1.1\nnameserver fd00::1\n" },
    { desc: "an empty config gives an empty file", dns: { servers: [], searches: [], options: [] }, want: "" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(resolvConfFile(tc.dns)).toBe(tc.want));

  const bad = [
    { desc: "a server that is not an IP is refused naming its index", dns: { servers: ["8.8.8.8", "dns.example"], searches: [], options: [] }, field: "config.dns_config.servers[1]" },
    { desc: "a search domain with a newline is refused", dns: { servers: [], searches: ["a\nnameserver 6.6.6.6"], options: [] }, field: "config.dns_config.searches[0]" },
    { desc: "an option with a space is refused", dns: { servers: [], searches: [], options: ["ndots:1 x"] }, field: "config.dns_config.options[0]" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      try {
        resolvConfFile(tc.dns);
        throw new Error("no error");
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect((err as InvalidArgumentError).field).toBe(tc.field);
      }
    });
  }
});

describe("pod files", () => {
  test("the hosts file lists localhost and maps the pod's IPs to its hostname", () => {
    const text = podHostsFile("web-0", ["10.88.0.5", "fd00::5"]);
    expect(text.startsWith("127.0.0.1\tlocalhost\n")).toBe(true);
    expect(text).toContain("10.88.0.5\tweb-0\n");
    expect(text).toContain("fd00::5\tweb-0\n");
  });
  test("a pod without a hostname gets no IP lines", () => {
    expect(podHostsFile("", ["10.88.0.5"])).not.toContain("10.88.0.5");
  });
  test("the hostname file is the name and a newline", () => expect(hostnameFile("web-0")).toBe("web-0\n"));
  test("an empty DNSConfig means the host's resolv.conf", () => {
    expect(hasDnsConfig(create(DNSConfigSchema, {}))).toBe(false);
    expect(hasDnsConfig(create(DNSConfigSchema, { options: ["ndots:2"] }))).toBe(true);
    expect(hasDnsConfig(undefined)).toBe(false);
  });
});
