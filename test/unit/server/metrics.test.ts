import { describe, expect, test } from "bun:test";
import { Code } from "@connectrpc/connect";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { Metrics, parseHostPort } from "../../../src/server/metrics.ts";

describe("Metrics", () => {
  test("counts calls by method and code and fills the histogram", () => {
    const m = new Metrics("1.2.3");
    m.observe("Version", "OK", 0.0004);
    m.observe("Version", "OK", 0.2);
    m.observe("RunPodSandbox", Code.Unimplemented, 0.001);
    const text = m.render();
    expect(text).toContain('skiff_build_info{version="1.2.3"} 1');
    expect(text).toContain('skiff_cri_requests_total{method="Version",code="OK"} 2');
    expect(text).toContain('skiff_cri_requests_total{method="RunPodSandbox",code="Unimplemented"} 1');
    expect(text).toContain('skiff_cri_request_seconds_bucket{method="Version",le="0.0005"} 1');
    expect(text).toContain('skiff_cri_request_seconds_bucket{method="Version",le="0.25"} 2');
    expect(text).toContain('skiff_cri_request_seconds_count{method="Version"} 2');
  });

  test("times external commands by command and verb", () => {
    const m = new Metrics("1.2.3");
    m.observeExec("runc", "create", 0.03);
    m.observeExec("runc", "create", 0.04);
    m.observeExec("cni:bridge", "ADD", 0.02);
    const text = m.render();
    expect(text).toContain("# TYPE skiff_exec_seconds histogram");
    expect(text).toContain('skiff_exec_seconds_bucket{command="runc",verb="create",le="0.025"} 0');
    expect(text).toContain('skiff_exec_seconds_bucket{command="runc",verb="create",le="0.05"} 2');
    expect(text).toContain('skiff_exec_seconds_count{command="runc",verb="create"} 2');
    expect(text).toMatch(/skiff_exec_seconds_sum\{command="runc",verb="create"\} 0\.07/);
    expect(text).toContain('skiff_exec_seconds_count{command="cni:bridge",verb="ADD"} 1');
  });
});

describe("parseHostPort", () => {
  const ok = [
    { desc: "an IPv4 address and port", raw: "127.0.0.1:9100", want: { hostname: "127.0.0.1", port: 9100 } },
    { desc: "a bracketed IPv6 address", raw: "[::1]:9100", want: { hostname: "::1", port: 9100 } },
    { desc: "port 0 asks the kernel for a free port", raw: "localhost:0", want: { hostname: "localhost", port: 0 } },
  ];
  for (const tc of ok) test(tc.desc, () => expect(parseHostPort(tc.raw)).toEqual(tc.want));
  for (const raw of ["9100", "127.0.0.1", "127.0.0.1:99999", "::1:9100"]) {
    test(`"${raw}" is refused naming the key`, () => {
      expect(() => parseHostPort(raw)).toThrow(InvalidArgumentError);
      expect(() => parseHostPort(raw)).toThrow(/server\.metrics_address/);
    });
  }
});
