import { describe, expect, test } from "bun:test";
import { DAEMON_JSC_ENV, jscEnvInEffect, missingJscEnv } from "../../../src/cli/daemon-jit.ts";

describe("the daemon's JavaScriptCore settings", () => {
  test("turn the FTL tier off", () => {
    expect(DAEMON_JSC_ENV).toEqual({ BUN_JSC_useFTLJIT: "0" });
  });

  test("an environment without them lacks them all", () => {
    expect(missingJscEnv({ PATH: "/bin" })).toEqual({ BUN_JSC_useFTLJIT: "0" });
  });

  test("a setting the environment names is kept, whatever its value", () => {
    expect(missingJscEnv({ BUN_JSC_useFTLJIT: "1" })).toEqual({});
    expect(missingJscEnv({ BUN_JSC_useFTLJIT: "0" })).toEqual({});
    expect(missingJscEnv({ BUN_JSC_useFTLJIT: "" })).toEqual({});
  });

  test("the log line says each setting's value, or that it is unset", () => {
    expect(jscEnvInEffect({ BUN_JSC_useFTLJIT: "0" })).toBe("BUN_JSC_useFTLJIT=0");
    expect(jscEnvInEffect({})).toBe("BUN_JSC_useFTLJIT=(unset)");
  });
});
