import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../../src/config/index.ts";

const SOURCE = "/etc/skiff/config.toml";

describe("hcs handler keys", () => {
  test("a Windows handler may choose Hyper-V isolation, force a schema and keep resources for debugging", () => {
    const c = parseConfig(
      '[runtimes.runhcs-wcow-hypervisor]\nruntime_type = "hcs"\nsandbox_isolation = "hyperv"\nhcs_schema_version = "1.0"\nhcs_keep_resources_on_failure = true\n',
      SOURCE,
      "win32",
    );
    expect(c.runtimes["runhcs-wcow-hypervisor"]).toMatchObject({ sandboxIsolation: "hyperv", hcsSchemaVersion: "1.0", hcsKeepResourcesOnFailure: true });
    expect(c.runtimes["runhcs-wcow-process"]).toMatchObject({ sandboxIsolation: "process", hcsSchemaVersion: "auto", hcsKeepResourcesOnFailure: false });
  });

  test("an oci handler refuses the hcs keys, naming each", () => {
    expect(() => parseConfig('[runtimes.runc]\nsandbox_isolation = "hyperv"\nhcs_schema_version = "2.1"\n', SOURCE, "linux")).toThrow(
      /runtimes\.runc\.sandbox_isolation: only applies when runtime_type is "hcs"[\s\S]*runtimes\.runc\.hcs_schema_version: only applies/,
    );
  });

  test("a schema that does not exist is refused with the allowed values", () => {
    expect(() => parseConfig('[runtimes.runhcs-wcow-process]\nhcs_schema_version = "2.5"\n', SOURCE, "win32")).toThrow(/hcs_schema_version/);
  });

  test("the windows-fake test mode lets a Linux config hold hcs handlers beside the oci ones", () => {
    const text = '[runtimes.wcow]\nruntime_type = "hcs"\n';
    expect(() => parseConfig(text, SOURCE, "linux")).toThrow(/runtime_type "hcs" is only available on windows/);
    expect(parseConfig(text, SOURCE, "linux", "windows").runtimes.wcow?.runtimeType).toBe("hcs");
  });
});
