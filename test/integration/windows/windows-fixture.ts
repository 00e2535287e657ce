/**
 * A skiff daemon in the Windows test mode (`serve --platform windows-fake`): the real
 * binary, gRPC server, CRI handlers and Windows pod code, with every HCS, layer and HNS
 * call going to the fake host, whose call log and leak list the test reads from files.
 * A CNI plugin script stands in for a Windows CNI plugin and records what it was given.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FakeInjection, FakeWindowsCall } from "../../../src/platform/fake/fake-call-log.ts";
import { pushIndex } from "../../support/images.ts";
import type { TestRegistry } from "../../support/registry.ts";
import { busyboxImage } from "../../support/images.ts";
import { windowsImage } from "../../support/windows-images.ts";
import { startRegistry } from "../../support/registry.ts";
import { type Daemon, startDaemon } from "../harness.ts";

/** Windows Server 2022, as the fake host reports itself. */
export const HOST_VERSION = "10.0.20348.2340";

/**
 * Stands in for win-bridge: records its calls, and tells the fake HNS (endpoints.log) that it
 * attached a new endpoint to the pod's namespace on ADD and detached them on DEL.
 */
const PLUGIN = `#!/bin/sh
root="$(dirname "$0")/.."
echo "$CNI_COMMAND $CNI_CONTAINERID $CNI_NETNS $CNI_IFNAME" >> "$root/cni-calls.log"
cat > /dev/null
if [ "$CNI_COMMAND" = "ADD" ]; then
  [ -n "$CNI_NETNS" ] && echo "ADD $CNI_NETNS $(cat /proc/sys/kernel/random/uuid)" >> "$root/state/fake-windows/endpoints.log"
  printf '{"cniVersion":"1.0.0","interfaces":[{"name":"Ethernet"}],"ips":[{"address":"10.99.0.5/24","interface":0}]}'
fi
if [ "$CNI_COMMAND" = "DEL" ] && [ -n "$CNI_NETNS" ]; then
  echo "DEL $CNI_NETNS" >> "$root/state/fake-windows/endpoints.log"
fi
exit 0
`;

/** Pushes the test images: `win/app:1` and `win/pause:1`, each an index of a Linux, a 2019 and a 2022 image. */
export async function pushWindowsImages(reg: TestRegistry): Promise<void> {
  for (const [repo, cmd] of [
    ["win/app", ["cmd", "/c", "echo app"]],
    ["win/pause", ["C:\\pause.exe"]],
  ] as const) {
    await pushIndex(reg.host, repo, [busyboxImage({ salt: repo }), windowsImage({ osVersion: "10.0.17763.5458", cmd: [...cmd] }), windowsImage({ cmd: [...cmd] })], "1");
  }
}

export type WindowsDaemon = Daemon & {
  fakeDir: string;
  /** The fake host's calls so far. */
  calls(): FakeWindowsCall[];
  /** What the fake host still holds (compute systems, handles, layers, namespaces). */
  leaks(): string[];
  /** Makes the next matching calls fail (each rule once). */
  inject(rules: FakeInjection[]): void;
  cniCalls(): string[];
  /** Endpoint ids the test's CNI plugin attached to `namespace` (still attached). */
  endpointsOf(namespace: string): string[];
};

export async function startWindowsDaemon(reg: TestRegistry, extra = ""): Promise<WindowsDaemon> {
  const d = await startDaemon({
    args: ["--platform", "windows-fake"],
    setup: (dir) => {
      const fakeDir = path.join(dir, "state", "fake-windows");
      fs.mkdirSync(fakeDir, { recursive: true });
      fs.writeFileSync(path.join(fakeDir, "host.json"), JSON.stringify({ osVersion: HOST_VERSION, processorCount: 4 }));
      fs.mkdirSync(path.join(dir, "cni-bin"), { recursive: true });
      fs.writeFileSync(path.join(dir, "cni-bin", "win-test"), PLUGIN, { mode: 0o755 });
      fs.mkdirSync(path.join(dir, "cni"), { recursive: true });
      fs.writeFileSync(
        path.join(dir, "cni", "10-win.conflist"),
        JSON.stringify({ cniVersion: "1.0.0", name: "winnet", plugins: [{ type: "win-test" }] }),
      );
    },
    extraConfig: (dir: string) => `
[cni]
conf_dir = "${path.join(dir, "cni")}"
bin_dirs = ["${path.join(dir, "cni-bin")}"]
write_default = false

[runtime]
default_runtime = "runhcs-wcow-process"

[runtimes.runhcs-wcow-process]
runtime_type = "hcs"
container_annotations = ["io.microsoft.container.*"]

[image]
sandbox_image = "${reg.host}/win/pause:1"

[registry.hosts."${reg.host}"]
plain_http = true
${extra}
`,
  });
  const fakeDir = path.join(d.dir, "state", "fake-windows");
  return Object.assign(d, {
    fakeDir,
    calls: () =>
      fs
        .readFileSync(path.join(fakeDir, "calls.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as FakeWindowsCall),
    leaks: () => {
      try {
        return (JSON.parse(fs.readFileSync(path.join(fakeDir, "state.json"), "utf8")) as { leaks: string[] }).leaks;
      } catch {
        return [];
      }
    },
    inject: (rules: FakeInjection[]) => fs.writeFileSync(path.join(fakeDir, "inject.json"), JSON.stringify(rules)),
    endpointsOf: (namespace: string) => {
      const live = new Map<string, string>();
      let text = "";
      try {
        text = fs.readFileSync(path.join(fakeDir, "endpoints.log"), "utf8");
      } catch {
        return [];
      }
      for (const [op, ns, ep] of text.split("\n").map((l) => l.split(" "))) {
        if (op === "ADD" && ep) live.set(ep, ns!);
        if (op === "DEL") for (const [e, n] of live) if (n === ns) live.delete(e);
      }
      return [...live].filter(([, n]) => n === namespace).map(([e]) => e);
    },
    cniCalls: () => {
      try {
        return fs.readFileSync(path.join(d.dir, "cni-calls.log"), "utf8").split("\n").filter(Boolean);
      } catch {
        return [];
      }
    },
  });
}

/** A registry with the test images and a daemon in the Windows test mode, `win/app:1` (and the pause image) pulled. */
export async function startWindowsSuite(extra = ""): Promise<{ reg: TestRegistry; d: WindowsDaemon; app: string }> {
  const reg = await startRegistry();
  await pushWindowsImages(reg);
  const app = `${reg.host}/win/app:1`;
  const d = await startWindowsDaemon(reg, extra);
  await d.image.call("PullImage", { image: { image: app } });
  await d.image.call("PullImage", { image: { image: `${reg.host}/win/pause:1` } });
  return { reg, d, app };
}

/** The same daemon killed (kill -9) and started again on its state, with the same view of the fake. */
export async function restartWindowsDaemon(d: WindowsDaemon): Promise<WindowsDaemon> {
  await d.kill();
  const again = await startDaemon({ reuseDir: d.dir, args: ["--platform", "windows-fake"] });
  return Object.assign(again, { fakeDir: d.fakeDir, calls: d.calls, leaks: d.leaks, inject: d.inject, cniCalls: d.cniCalls, endpointsOf: d.endpointsOf });
}
