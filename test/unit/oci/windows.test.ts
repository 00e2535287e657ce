import { describe, expect, test } from "bun:test";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, PodSandboxConfigSchema } from "../../../src/gen/runtime/v1/api_pb.ts";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { buildSpec } from "../../../src/oci/build.ts";
import type { Spec } from "../../../src/oci/spec.ts";
import {
  ROOTFS_SIZE_BYTES_LABEL,
  ROOTFS_SIZE_GB_LABEL,
  defaultWindowsSpec,
  requestedScratchBytes,
  windowsContainerSpecOpts,
  windowsSandboxSpecOpts,
  windowsSnapshotLabels,
  type WindowsContainerSpecInput,
} from "../../../src/oci/windows.ts";
import { escapeArg } from "../../../src/oci/windows-command-line.ts";
import { type ContainerInit, type SandboxInit, imageConfig } from "./fixtures.ts";

const NS = "5b9f0d3a-2c41-4a8e-9d1b-0c7e6f1a2b3c";
const enc = (s: string) => new TextEncoder().encode(s);

function pod(init: SandboxInit = {}) {
  return create(PodSandboxConfigSchema, {
    metadata: { name: "iis", namespace: "web", uid: "uid-9", attempt: 0 },
    hostname: "iis-host",
    logDirectory: "C:\\var\\log\\pods\\web_iis_uid-9",
    ...init,
  });
}

function input(init: ContainerInit = {}, over: Partial<WindowsContainerSpecInput> = {}): WindowsContainerSpecInput {
  return {
    sandboxId: "s1",
    config: create(ContainerConfigSchema, { metadata: { name: "site" }, image: { image: "mcr.microsoft.com/windows/servercore/iis:2022" }, ...init }),
    sandboxConfig: pod(),
    image: {
      name: "mcr.microsoft.com/windows/servercore/iis:2022",
      spec: { ...imageConfig({ entrypoint: ["C:\\ServiceMonitor.exe", "w3svc"], env: ["PATH=C:\\Windows\\system32;C:\\Windows", "MODE=dev"], workingDir: "C:\\inetpub", user: "ContainerAdministrator" }), os: "windows" },
    },
    handler: { podAnnotations: [], containerAnnotations: [] },
    networkNamespace: NS,
    ...over,
  };
}

const spec = (i: WindowsContainerSpecInput, base: Spec = defaultWindowsSpec()) => buildSpec(base, windowsContainerSpecOpts(i));

describe("Windows container spec", () => {
  test("a container gets what containerd's CRI writes on Windows for the same request", () => {
    const i = input(
      {
        args: ["-port", "80"],
        envs: [
          { key: "MODE", value: enc("prod") },
          { key: "PATH_EXT", value: enc("x") },
        ],
        mounts: [
          { containerPath: "\\\\.\\pipe\\docker_engine", hostPath: "\\\\.\\pipe\\docker_engine" },
          { containerPath: "\\data", hostPath: "C:\\k\\data\\", readonly: true },
        ],
        windows: {
          resources: { cpuCount: 2n, memoryLimitInBytes: 536870912n, rootfsSizeInBytes: 42949672960n },
          securityContext: { runAsUsername: "ContainerUser", credentialSpec: '{"CmsPlugins":["ActiveDirectory"]}' },
        },
        annotations: { "io.microsoft.container.processor.limit": "5000", other: "x" },
      },
      {
        sandboxConfig: pod({ annotations: { "io.microsoft.virtualmachine.computetopology.processor.count": "2", team: "a" } }),
        handler: { podAnnotations: ["io.microsoft.virtualmachine.*"], containerAnnotations: ["io.microsoft.container.*"] },
      },
    );
    expect(spec(i)).toEqual({
      ociVersion: "1.1.0",
      process: {
        user: { uid: 0, gid: 0, username: "ContainerUser" },
        cwd: "C:\\inetpub",
        args: ["C:\\ServiceMonitor.exe", "w3svc", "-port", "80"],
        env: ["PATH=C:\\Windows\\system32;C:\\Windows", "MODE=prod", "PATH_EXT=x"],
      },
      hostname: "iis-host",
      mounts: [
        { source: "C:\\k\\data\\", destination: "C:\\data", options: ["ro"] },
        { source: "\\\\.\\pipe\\docker_engine", destination: "\\\\.\\pipe\\docker_engine", options: ["rw"] },
      ],
      windows: {
        network: { networkNamespace: NS },
        resources: { cpu: { count: 2 }, memory: { limit: 536870912 } },
        credentialSpec: '{"CmsPlugins":["ActiveDirectory"]}',
      },
      annotations: {
        "io.microsoft.virtualmachine.computetopology.processor.count": "2",
        "io.microsoft.container.processor.limit": "5000",
        "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.sandbox-id": "s1",
        "io.kubernetes.cri.sandbox-namespace": "web",
        "io.kubernetes.cri.sandbox-name": "iis",
        "io.kubernetes.cri.container-name": "site",
        "io.kubernetes.cri.image-name": "mcr.microsoft.com/windows/servercore/iis:2022",
        "microsoft.com/hostprocess-container": "false",
      },
    });
  });

  const hostProcess = [
    { desc: "a HostProcess container in a pod that is not HostProcess is refused", pod: false, ctr: true },
    { desc: "a container that is not HostProcess in a HostProcess pod is refused", pod: true, ctr: false },
  ];
  for (const tc of hostProcess) {
    test(tc.desc, () => {
      const i = input({ windows: { securityContext: { hostProcess: tc.ctr } } }, { sandboxConfig: pod({ windows: { securityContext: { hostProcess: tc.pod } } }) });
      expect(() => windowsContainerSpecOpts(i)).toThrow(InvalidArgumentError);
      expect(() => windowsContainerSpecOpts(i)).toThrow(/^config\.windows\.security_context\.host_process: .*must have the HostProcess field set/);
    });
  }

  test("a HostProcess pod with HostProcess containers says so in the hostprocess annotation", () => {
    const i = input({ windows: { securityContext: { hostProcess: true } } }, { sandboxConfig: pod({ windows: { securityContext: { hostProcess: true } } }) });
    expect(spec(i).annotations?.["microsoft.com/hostprocess-container"]).toBe("true");
  });

  const cases: { desc: string; init: ContainerInit; want: (s: Spec) => unknown; expected: unknown }[] = [
    { desc: "the working dir of the config wins over the image's", init: { workingDir: "D:\\app" }, want: (s) => s.process?.cwd, expected: "D:\\app" },
    { desc: "the user of the config wins over the image's", init: { windows: { securityContext: { runAsUsername: "NT AUTHORITY\\NETWORK SERVICE" } } }, want: (s) => s.process?.user.username, expected: "NT AUTHORITY\\NETWORK SERVICE" },
    { desc: "without a user in the config the image's user runs the process", init: {}, want: (s) => s.process?.user.username, expected: "ContainerAdministrator" },
    { desc: "tty gives the process a console", init: { tty: true }, want: (s) => s.process?.terminal, expected: true },
    { desc: "no root is written (hcsshim mounts the layers)", init: {}, want: (s) => "root" in s, expected: false },
    { desc: "a command replaces the image's entrypoint", init: { command: ["cmd", "/c", "echo hi"] }, want: (s) => s.process?.args, expected: ["cmd", "/c", "echo hi"] },
    {
      desc: "devices are IDType://ID, and class/GUID is read as class://GUID",
      init: { devices: [{ hostPath: "class/5B45201D-F2F2-4F3B-85BB-30FF1F953599" }, { hostPath: "vpci-location-path://PCIROOT(0)#PCI(0100)" }] },
      want: (s) => s.windows?.devices,
      expected: [
        { idType: "class", id: "5B45201D-F2F2-4F3B-85BB-30FF1F953599" },
        { idType: "vpci-location-path", id: "PCIROOT(0)#PCI(0100)" },
      ],
    },
    { desc: "cpu shares and maximum go to windows.resources.cpu", init: { windows: { resources: { cpuShares: 512n, cpuMaximum: 2500n } } }, want: (s) => s.windows?.resources, expected: { cpu: { shares: 512, maximum: 2500 } } },
  ];
  for (const tc of cases) test(tc.desc, () => expect(tc.want(spec(input(tc.init)))).toEqual(tc.expected));

  const bad: { desc: string; init: ContainerInit; field: string }[] = [
    { desc: "the C drive as a whole is not a mount destination", init: { mounts: [{ containerPath: "C:", hostPath: "D:\\x" }] }, field: "config.mounts[0].container_path" },
    { desc: "a device with a container path is refused", init: { devices: [{ hostPath: "class://x", containerPath: "/dev/x" }] }, field: "config.devices[0].container_path" },
    { desc: "a device that is not IDType://ID is refused", init: { devices: [{ hostPath: "COM1" }] }, field: "config.devices[0].host_path" },
    { desc: "a cpu maximum above 10000 is refused", init: { windows: { resources: { cpuMaximum: 10001n } } }, field: "config.windows.resources.cpu_maximum" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => expect(() => windowsContainerSpecOpts(input(tc.init))).toThrow(new RegExp(`^${tc.field.replaceAll(".", "\\.").replace(/[[\]]/g, "\\$&")}: `)));
  }

  test("an ArgsEscaped image's command line is taken as written, with the config's args escaped after it", () => {
    const i = input({ args: ["a b", 'say "hi"'] });
    i.image.spec.config.argsEscaped = true;
    i.image.spec.config.entrypoint = ['"C:\\Program Files\\app.exe" -q'];
    const s = spec(i);
    expect(s.process?.args).toBeUndefined();
    expect(s.process?.commandLine).toBe('"C:\\Program Files\\app.exe" -q "a b" "say \\"hi\\""');
  });

  test("the base runtime spec is the start and is never changed", () => {
    const base: Spec = { ...defaultWindowsSpec(), annotations: { "from.base": "1" }, mounts: [{ destination: "C:\\data", source: "C:\\base", options: ["rw"] }, { destination: "C:\\logs", source: "C:\\l" }] };
    const before = structuredClone(base);
    const s = spec(input({ mounts: [{ containerPath: "C:\\data", hostPath: "C:\\mine" }] }), base);
    expect(s.annotations?.["from.base"]).toBe("1");
    expect(s.mounts).toEqual([
      { destination: "C:\\logs", source: "C:\\l" },
      { source: "C:\\mine", destination: "C:\\data", options: ["rw"] },
    ]);
    expect(base).toEqual(before);
  });
});

describe("Windows sandbox spec", () => {
  test("the pause container runs the image's command with the pod's name, namespace and hostname", () => {
    const opts = windowsSandboxSpecOpts({
      id: "s1",
      config: pod({ annotations: { "io.microsoft.virtualmachine.computetopology.memory.sizeinmb": "1024", x: "y" }, windows: { securityContext: { runAsUsername: "ContainerUser" } } }),
      image: { name: "registry.k8s.io/pause:3.10", spec: { ...imageConfig({ cmd: ["C:\\pause.exe"], env: ["PATH=C:\\Windows"] }), os: "windows" } },
      handler: { podAnnotations: ["io.microsoft.virtualmachine.*"] },
      networkNamespace: NS,
    });
    expect(buildSpec(defaultWindowsSpec(), opts)).toEqual({
      ociVersion: "1.1.0",
      process: { user: { uid: 0, gid: 0, username: "ContainerUser" }, cwd: "C:\\", env: ["PATH=C:\\Windows"], args: ["C:\\pause.exe"] },
      hostname: "iis-host",
      windows: { network: { networkNamespace: NS }, resources: { cpu: { shares: 2 } } },
      annotations: {
        "io.microsoft.virtualmachine.computetopology.memory.sizeinmb": "1024",
        "microsoft.com/hostprocess-container": "false",
        "io.kubernetes.cri.container-type": "sandbox",
        "io.kubernetes.cri.sandbox-id": "s1",
        "io.kubernetes.cri.sandbox-namespace": "web",
        "io.kubernetes.cri.sandbox-uid": "uid-9",
        "io.kubernetes.cri.sandbox-name": "iis",
        "io.kubernetes.cri.sandbox-log-directory": "C:\\var\\log\\pods\\web_iis_uid-9",
        "io.kubernetes.cri.podsandbox.image-name": "registry.k8s.io/pause:3.10",
      },
    });
  });

  test("a sandbox image with nothing to run is refused", () => {
    const call = () =>
      windowsSandboxSpecOpts({ id: "s1", config: pod(), image: { name: "empty", spec: imageConfig() }, handler: { podAnnotations: [] }, networkNamespace: NS });
    expect(call).toThrow(/^image\.sandbox_image: "empty" has no Entrypoint or Cmd/);
  });
});

describe("rootfs size", () => {
  const cfg = (init: ContainerInit) => create(ContainerConfigSchema, init);
  test("rootfs_size_in_bytes becomes the sizebytes snapshot label", () => {
    expect(windowsSnapshotLabels(cfg({ windows: { resources: { rootfsSizeInBytes: 42949672960n } } }))).toEqual({ [ROOTFS_SIZE_BYTES_LABEL]: "42949672960" });
  });
  test("no size, no label", () => expect(windowsSnapshotLabels(cfg({}))).toEqual({}));
  test("the deprecated size-gb label given as an annotation is kept and honoured", () => {
    const labels = windowsSnapshotLabels(cfg({ annotations: { [ROOTFS_SIZE_GB_LABEL]: "30" } }));
    expect(labels).toEqual({ [ROOTFS_SIZE_GB_LABEL]: "30" });
    expect(requestedScratchBytes(labels)).toBe(30 * 1024 ** 3);
  });
  test("the sizebytes label wins over the deprecated one", () => {
    const labels = windowsSnapshotLabels(cfg({ annotations: { [ROOTFS_SIZE_GB_LABEL]: "30" }, windows: { resources: { rootfsSizeInBytes: 1000n } } }));
    expect(requestedScratchBytes(labels)).toBe(1000);
  });
  test("a size that is not a number is refused naming the label", () => {
    expect(() => requestedScratchBytes({ [ROOTFS_SIZE_GB_LABEL]: "ten" })).toThrow(`label ${ROOTFS_SIZE_GB_LABEL}: "ten" is not a whole number`);
  });
});

describe("escapeArg", () => {
  const cases: [string, string][] = [
    ["", '""'],
    ["plain", "plain"],
    ["with space", '"with space"'],
    ['a"b', 'a\\"b'],
    ["C:\\path\\", "C:\\path\\"],
    ["C:\\my dir\\", '"C:\\my dir\\\\"'],
    ['x\\"y z', '"x\\\\\\"y z"'],
  ];
  for (const [arg, want] of cases) test(`${JSON.stringify(arg)} is written ${want}`, () => expect(escapeArg(arg)).toBe(want));
});
