import { describe, expect, test } from "bun:test";
import { registerWindowsService, scCreateCommands, scDeleteCommands, windowsServiceDefinition } from "../../../src/cli/windows-service.ts";

describe("the Windows service definition", () => {
  const def = windowsServiceDefinition({ exePath: "C:\\Program Files\\skiff\\skiff.exe" });

  test("runs skiff.exe serve --windows-service with the default config, as LocalSystem, after HCS and HNS", () => {
    expect(def).toEqual({
      name: "skiff",
      displayName: "skiff container runtime",
      description: "Kubernetes container runtime (CRI) on npipe:////./pipe/skiff, running Windows containers through the Host Compute Service",
      binaryPath: '"C:\\Program Files\\skiff\\skiff.exe" serve --windows-service --config C:\\ProgramData\\skiff\\config.toml',
      start: "delayed-auto",
      account: "LocalSystem",
      dependsOn: ["vmcompute", "hns"],
      restartDelaysMs: [5000, 5000, 30000],
      resetFailuresAfterSec: 86400,
    });
  });

  test("a config path with spaces and a log level are carried, quoted as Windows reads them", () => {
    const d = windowsServiceDefinition({ exePath: "C:\\skiff.exe", configPath: "D:\\my configs\\skiff.toml", logLevel: "debug" });
    expect(d.binaryPath).toBe('"C:\\skiff.exe" serve --windows-service --config "D:\\my configs\\skiff.toml" --log-level debug');
  });

  test("is registered with sc.exe create, description and failure actions", () => {
    expect(scCreateCommands(def)).toEqual([
      [
        "sc.exe", "create", "skiff",
        "binPath=", def.binaryPath,
        "start=", "delayed-auto",
        "obj=", "LocalSystem",
        "DisplayName=", "skiff container runtime",
        "depend=", "vmcompute/hns",
      ],
      ["sc.exe", "description", "skiff", def.description],
      ["sc.exe", "failure", "skiff", "reset=", "86400", "actions=", "restart/5000/restart/5000/restart/30000"],
    ]);
    expect(scDeleteCommands()).toEqual([["sc.exe", "stop", "skiff"], ["sc.exe", "delete", "skiff"]]);
  });

  test("registration stops at the first sc.exe that fails, naming it", async () => {
    const ran: string[][] = [];
    const err = await registerWindowsService(def, async (argv) => {
      ran.push(argv);
      return argv[1] === "description" ? { code: 1060, output: "[SC] OpenService FAILED 1060" } : { code: 0, output: "" };
    }).catch((e) => e);
    expect(err.message).toBe("sc.exe description skiff failed (exit 1060): [SC] OpenService FAILED 1060");
    expect(ran.map((a) => a[1])).toEqual(["create", "description"]);
  });
});
