import { describe, expect, test } from "bun:test";
import * as path from "node:path";
import { InvalidArgumentError } from "../../../../src/errors.ts";
import type { Spec } from "../../../../src/oci/spec.ts";
import { containerComputeSystemDocument, type HcsContainerInput } from "../../../../src/runtime/windows/hcs-document.ts";
import { SCHEMA_V10, SCHEMA_V21 } from "../../../../src/runtime/windows/hcs-schema.ts";
import { chooseSchemaVersion } from "../../../../src/runtime/windows/schema-version.ts";

const NS = "5b9f0d3a-2c41-4a8e-9d1b-0c7e6f1a2b3c";
const VOLUME = "\\\\?\\Volume{4e1f7bd4-7d3c-4d3b-8a8e-1b2c3d4e5f60}\\";
const SNAP = "C:\\ProgramData\\skiff\\root\\snapshots";
const VSMB = "\\\\?\\VMSMB\\VSMB-{dcc079ae-60ba-4d07-847c-3493609c0870}";

const fixture = (name: string) => Bun.file(path.join(import.meta.dir, "fixtures", `${name}.json`)).json();
const json = (v: unknown) => JSON.parse(JSON.stringify(v));

function spec(over: Partial<Spec> = {}): Spec {
  return {
    ociVersion: "1.1.0",
    process: { user: { uid: 0, gid: 0, username: "ContainerUser" }, cwd: "C:\\", args: ["cmd"] },
    root: { path: VOLUME },
    hostname: "iis-host",
    mounts: [
      { source: "C:\\k\\data", destination: "C:\\data", options: ["ro"] },
      { source: "\\\\.\\pipe\\docker_engine", destination: "\\\\.\\pipe\\docker_engine", options: ["rw"] },
    ],
    windows: { network: { networkNamespace: NS }, resources: { cpu: { count: 2 }, memory: { limit: 536870912 } } },
    annotations: { "io.kubernetes.cri.container-type": "container" },
    ...over,
  };
}

function input(over: Partial<HcsContainerInput> = {}): HcsContainerInput {
  return {
    id: "c1",
    owner: "skiff",
    spec: spec(),
    schema: SCHEMA_V21,
    hostBuild: 20348,
    hostProcessorCount: 4,
    layers: [
      { id: "8c6bb7d2-52a6-5a57-b3a5-67c2c1f3a1b2", path: `${SNAP}\\bbb` },
      { id: "0d2f4c1e-1b7e-5a3c-9e4f-2a6b8c0d1e2f", path: `${SNAP}\\aaa` },
    ],
    networkNamespace: NS,
    ...over,
  };
}

describe("HCS container documents, against what hcsshim sends for the same inputs", () => {
  test("Argon, schema 2.1: a ComputeSystem with the Container, terminated with its last handle", async () => {
    expect(json(containerComputeSystemDocument(input()))).toEqual(await fixture("argon-v2"));
  });

  test("Argon, schema 1.0: a ContainerConfig with the scratch volume (no trailing backslash) and the layers", async () => {
    expect(json(containerComputeSystemDocument(input({ schema: SCHEMA_V10 })))).toEqual(await fixture("argon-v1"));
  });

  test("Xenon, schema 1.0: HvPartition with the utility VM image found in the base layer, the scratch named by LayerFolderPath", async () => {
    const doc = containerComputeSystemDocument(
      input({
        schema: SCHEMA_V10,
        spec: spec({ windows: { ...spec().windows, hyperv: {} }, root: { path: "" } }),
        utilityVmImagePath: `${SNAP}\\aaa\\UtilityVM`,
        layerFolderPath: "C:\\ProgramData\\skiff\\root\\scratch\\c1",
      }),
    );
    expect(json(doc)).toEqual(await fixture("xenon-v1"));
  });

  test("Xenon, schema 2.1: the container hosted in the utility VM, its mounts and pipes seen through VSMB, its CPUs capped to the VM's", async () => {
    const shares: Record<string, string> = { "C:\\k\\data": `${VSMB}\\s3` };
    const doc = containerComputeSystemDocument(
      input({
        spec: spec({ root: { path: "C:\\c\\1" } }),
        hostingSystem: { id: "s1@vm", processorCount: 1, guestPathOf: (p) => shares[p] ?? "?" },
        layers: [
          { id: "8c6bb7d2-52a6-5a57-b3a5-67c2c1f3a1b2", path: `${VSMB}\\s1` },
          { id: "0d2f4c1e-1b7e-5a3c-9e4f-2a6b8c0d1e2f", path: `${VSMB}\\s2` },
        ],
      }),
    );
    expect(json(doc)).toEqual(await fixture("xenon-v2"));
  });

  test("a cpu count above the host's processors is lowered to them", () => {
    const doc = containerComputeSystemDocument(input({ spec: spec({ windows: { resources: { cpu: { count: 64 } } } }) })) as { Container: { Processor: unknown } };
    expect(doc.Container.Processor).toEqual({ Count: 4 });
  });

  test("an annotation wins over the spec: io.microsoft.container.processor.limit", () => {
    const doc = containerComputeSystemDocument(
      input({ spec: spec({ windows: { resources: {} }, annotations: { "io.microsoft.container.processor.limit": "2500" } }) }),
    ) as { Container: { Processor: unknown } };
    expect(doc.Container.Processor).toEqual({ Maximum: 2500 });
  });

  test("no cpu figures at all still writes an empty Processor, as hcsshim does", () => {
    const doc = containerComputeSystemDocument(input({ spec: spec({ windows: {} }) })) as { Container: Record<string, unknown> };
    expect(doc.Container.Processor).toEqual({});
    expect(doc.Container.Networking).toBeUndefined();
  });

  test("a v1 credential spec goes into Credentials", () => {
    const doc = containerComputeSystemDocument(input({ schema: SCHEMA_V10, spec: spec({ windows: { credentialSpec: '{"CmsPlugins":[]}' } }) })) as { Credentials?: string };
    expect(doc.Credentials).toBe('{"CmsPlugins":[]}');
  });

  test("a process dump location adds the WER LocalDumps keys, with the container id put in", () => {
    const doc = containerComputeSystemDocument(
      input({ spec: spec({ annotations: { "io.microsoft.container.processdumplocation": "C:\\dumps\\{container_id}", "io.microsoft.wcow.processdumptype": "mini" } }) }),
    ) as { Container: { RegistryChanges: { AddValues: unknown[] } } };
    expect(doc.Container.RegistryChanges.AddValues.slice(1)).toEqual([
      { Key: { Hive: "Software", Name: "Microsoft\\Windows\\Windows Error Reporting\\LocalDumps" }, Name: "DumpFolder", StringValue: "C:\\dumps\\c1", Type: "String" },
      { Key: { Hive: "Software", Name: "Microsoft\\Windows\\Windows Error Reporting\\LocalDumps" }, Name: "DumpType", DWordValue: 1, Type: "DWord" },
      { Key: { Hive: "Software", Name: "Microsoft\\Windows\\Windows Error Reporting\\LocalDumps" }, Name: "DumpCount", DWordValue: 10, Type: "DWord" },
    ]);
  });

  test("assigned devices: a location path is a device instance, a class an interface class", () => {
    const doc = containerComputeSystemDocument(
      input({ spec: spec({ windows: { devices: [{ idType: "vpci-location-path", id: "PCIROOT(0)" }, { idType: "class", id: "5B45201D-F2F2-4F3B-85BB-30FF1F953599" }] } }) }),
    ) as { Container: { AssignedDevices: unknown } };
    expect(doc.Container.AssignedDevices).toEqual([
      { Type: "DeviceInstance", LocationPath: "PCIROOT(0)" },
      { InterfaceClassGuid: "5B45201D-F2F2-4F3B-85BB-30FF1F953599" },
    ]);
  });

  const bad: { desc: string; over: Partial<HcsContainerInput>; message: RegExp }[] = [
    { desc: "cpu count and limit together are refused", over: { spec: spec({ windows: { resources: { cpu: { count: 1, maximum: 5000 } } } }) }, message: /mutually exclusive/ },
    { desc: "a read-only root is refused", over: { spec: spec({ root: { path: VOLUME, readonly: true } }) }, message: /^root\.readonly: / },
    { desc: "an Argon root that is no volume GUID path is refused", over: { spec: spec({ root: { path: "C:\\rootfs" } }) }, message: /^root\.path: .*volume GUID path/ },
    { desc: "a spec without root is refused", over: { spec: spec({ root: undefined }) }, message: /^root: / },
    { desc: "named pipes before Windows 1709 are refused", over: { hostBuild: 15063, schema: SCHEMA_V10 }, message: /named pipe mounts are not supported/ },
    { desc: "an unknown device type is refused", over: { spec: spec({ windows: { devices: [{ idType: "usb", id: "x" }] } }) }, message: /unsupported type "usb"/ },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      expect(() => containerComputeSystemDocument(input(tc.over))).toThrow(InvalidArgumentError);
      expect(() => containerComputeSystemDocument(input(tc.over))).toThrow(tc.message);
    });
  }
});

describe("schema version", () => {
  const cases = [
    { desc: "Windows Server 2016 (RS1) gets 1.0", build: 14393, asked: "auto" as const, want: SCHEMA_V10 },
    { desc: "1803 (RS4) gets 1.0", build: 17134, asked: "auto" as const, want: SCHEMA_V10 },
    { desc: "Windows Server 2019 (RS5) gets 2.1", build: 17763, asked: "auto" as const, want: SCHEMA_V21 },
    { desc: "Windows Server 2022 gets 2.1", build: 20348, asked: "auto" as const, want: SCHEMA_V21 },
    { desc: "1.0 can be forced on a new build", build: 20348, asked: "1.0" as const, want: SCHEMA_V10 },
    { desc: "2.1 forced on an old build falls back to 1.0", build: 17134, asked: "2.1" as const, want: SCHEMA_V10 },
  ];
  for (const tc of cases) test(tc.desc, () => expect(chooseSchemaVersion(tc.build, tc.asked).version).toEqual(tc.want));
  test("the fallback says why", () => expect(chooseSchemaVersion(17134, "2.1").warning).toContain("needs Windows build 17763"));
  test("a container in a utility VM is always 2.1", () => expect(chooseSchemaVersion(17134, "1.0", true).version).toEqual(SCHEMA_V21));
});
