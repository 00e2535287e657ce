/** Each doctor check judged from hand-made facts: a healthy host, then one fact broken at a time. */
import { describe, expect, test } from "bun:test";
import type { CheckResult } from "../../../src/doctor/check-result.ts";
import { passed } from "../../../src/doctor/check-result.ts";
import type { DoctorFacts } from "../../../src/doctor/doctor-facts.ts";
import { evaluateDoctor } from "../../../src/doctor/run-doctor.ts";
import { RUNC_115, healthyFacts } from "./doctor-fixtures.ts";

const find = (results: CheckResult[], id: string) => {
  const r = results.filter((x) => x.id === id);
  if (r.length !== 1) throw new Error(`expected one "${id}" check, got ${r.length}: ${JSON.stringify(results.map((x) => x.id))}`);
  return r[0] as CheckResult;
};

describe("a healthy host", () => {
  const results = evaluateDoctor(healthyFacts());

  test("passes with every check ok, and mirrors skipped when none are configured", () => {
    expect(passed(results)).toBe(true);
    expect(results.filter((r) => r.status !== "ok").map((r) => `${r.id}:${r.status}`)).toEqual(["registry.mirror:skip"]);
  });

  test("names versions and paths in its messages", () => {
    expect(find(results, "runtime.runc").message).toBe("runc 1.3.6 at /usr/sbin/runc (default handler)");
    expect(find(results, "conmon").message).toBe("conmon 2.1.6 at /usr/bin/conmon");
    expect(find(results, "infra").message).toContain("catatonit 0.1.7");
    expect(find(results, "iptables").message).toBe("iptables 1.8.9 (nf_tables) at /usr/sbin/iptables");
  });
});

type Case = { desc: string; change: (f: DoctorFacts) => void; id: string; status: CheckResult["status"]; message?: RegExp; fix?: RegExp };

const cases: Case[] = [
  { desc: "a base runtime spec the config names but the host lacks fails", change: (f) => void (f.configErrors = ['runtimes.runc.base_runtime_spec: base runtime spec "/etc/skiff/base.json" of runtime handler "runc" does not exist']), id: "config", status: "fail", message: /base\.json" of runtime handler "runc" does not exist/ },
  { desc: "a missing runtime binary is left to the runtime check, not repeated as a config error", change: (f) => void (f.configErrors = ['runtimes.runc.runtime_path: "/usr/sbin/runc" does not exist']), id: "config", status: "ok" },
  // runtimes
  { desc: "a missing default runtime fails", change: (f) => Object.assign(f.runtimes[0]!, { problem: '"/usr/sbin/runc" does not exist', versionOutput: undefined }), id: "runtime.runc", status: "fail", fix: /apt-get install runc.*runtimes\.runc\.runtime_path/ },
  { desc: "a missing extra handler only warns", change: (f) => Object.assign(f.runtimes[1]!, { problem: '"/usr/bin/crun" does not exist', versionOutput: undefined }), id: "runtime.crun", status: "warn", message: /RuntimeClass will fail/ },
  { desc: "Debian 12's runc 1.1.5 warns of the 2025 escapes and names the backported CVE-2024-21626 fix", change: (f) => Object.assign(f.runtimes[0]!, { versionOutput: RUNC_115, changelog: "  * CVE-2024-21626: several container breakouts due to internally leaked fds\n" }), id: "runtime.runc.advisories", status: "warn", message: /CVE-2025-31133.*\(CVE-2024-21626 fixed by the distribution's backport\)/, fix: /upgrade runc to 1\.3\.6 or later/ },
  { desc: "runc 1.1.5 without a changelog is open to CVE-2024-21626 too", change: (f) => Object.assign(f.runtimes[0]!, { versionOutput: RUNC_115 }), id: "runtime.runc.advisories", status: "warn", message: /open to CVE-2024-21626 \(high/ },
  { desc: "crun before 1.4.4 is open to CVE-2022-27650", change: (f) => Object.assign(f.runtimes[1]!, { versionOutput: "crun version 1.4.3\n" }), id: "runtime.crun.advisories", status: "warn", message: /CVE-2022-27650/ },
  { desc: "a missing conmon fails", change: (f) => Object.assign(f.conmon, { problem: '"/usr/bin/conmon" does not exist' }), id: "conmon", status: "fail", fix: /linux\.conmon_path/ },
  { desc: "a missing catatonit warns: only pods sharing a process namespace need it", change: (f) => Object.assign(f.infra, { binary: { path: "/usr/bin/catatonit", problem: '"/usr/bin/catatonit" does not exist' } }), id: "infra", status: "warn", message: /shareProcessNamespace/, fix: /sandbox_image/ },
  { desc: "a missing catatonit fails when every pod gets an infra process", change: (f) => Object.assign(f.infra, { everyPod: true, binary: { path: "/usr/bin/catatonit", problem: '"/usr/bin/catatonit" does not exist' } }), id: "infra", status: "fail", message: /sandbox_process = "always"/ },
  { desc: "a dynamically linked infra binary is refused: it runs in an empty root", change: (f) => Object.assign(f.infra, { dynamic: true, everyPod: true }), id: "infra", status: "fail", message: /must be static/ },
  { desc: "a configured sandbox image skips the infra binary", change: (f) => void (f.infra = { kind: "image", image: "registry.k8s.io/pause:3.10" }), id: "infra", status: "skip", message: /pause:3\.10/ },
  // kernel
  { desc: "a hybrid cgroup host warns about cgroup v1", change: (f) => void (f.cgroup.layout = "hybrid"), id: "cgroup", status: "warn", message: /hybrid.*maintenance mode since 1\.31/ },
  { desc: "no cgroup filesystem fails", change: (f) => void (f.cgroup.layout = "none"), id: "cgroup", status: "fail" },
  { desc: "a missing memory controller warns and says what is lost", change: (f) => void (f.cgroup.controllers = ["cpu", "pids"]), id: "cgroup.controllers", status: "warn", message: /memory \(memory limits and stats\)/ },
  { desc: "a kernel without overlay fails", change: (f) => void (f.filesystems = ["ext4", "tmpfs"]), id: "overlay", status: "fail", fix: /modprobe overlay/ },
  { desc: "user namespaces switched off warn", change: (f) => void (f.maxUserNamespaces = 0), id: "kernel.userns", status: "warn", message: /max_user_namespaces is 0/ },
  { desc: "Linux 5.15 has idmapped mounts but not on overlay", change: (f) => void (f.kernelRelease = "5.15.0-91-generic"), id: "kernel.idmap", status: "warn", message: /not on overlay/ },
  { desc: "Linux 5.10 has no rro", change: (f) => void (f.kernelRelease = "5.10.0-28-amd64"), id: "kernel.rro", status: "warn", message: /older than 5\.12/ },
  { desc: "a runtime without rro in its features has no rro", change: (f) => void (f.runtimes[0]!.mountOptions = ["bind", "ro"]), id: "kernel.rro", status: "warn", message: /does not list rro/ },
  // network
  { desc: "a missing plugin of the loaded network fails", change: (f) => void delete f.cni.found.portmap, id: "cni.plugins", status: "fail", message: /: portmap$/ },
  { desc: "the default conflist's plugins are checked when the conf dir is empty", change: (f) => Object.assign(f.cni, { networks: [], found: { bridge: "/usr/lib/cni" } }), id: "cni.plugins", status: "fail", message: /host-local, portmap/ },
  { desc: "an empty conf dir with write_default off warns", change: (f) => Object.assign(f.cni, { networks: [], writeDefault: false }), id: "cni.config", status: "warn", message: /only host-network pods/ },
  { desc: "a conf dir file that does not load is named", change: (f) => void (f.cni.skipped = ["99-bad.conf: not JSON"]), id: "cni.config", status: "ok", message: /skipped: 99-bad\.conf: not JSON/ },
  { desc: "no iptables fails when portmap is in the network", change: (f) => void (f.iptables = { path: "iptables", problem: "not found on PATH" }), id: "iptables", status: "fail", message: /portmap plugin needs it/ },
  { desc: "no iptables only warns when no plugin needs it", change: (f) => Object.assign(f, { iptables: { path: "iptables", problem: "not found on PATH" }, cni: { ...f.cni, networks: [{ name: "n", source: "n.conf", pluginTypes: ["ptp", "host-local"] }], found: { ptp: "/usr/lib/cni", "host-local": "/usr/lib/cni" } } }), id: "iptables", status: "warn" },
  // node
  { desc: "a world-writable socket fails", change: (f) => void (f.socket.socketMode = 0o666), id: "socket", status: "fail", message: /root on this node/ },
  { desc: "a socket mode other than the configured one warns", change: (f) => void (f.socket.socketMode = 0o600), id: "socket", status: "warn", message: /0600, not server\.socket_mode 0660/ },
  { desc: "a socket group missing on the host fails", change: (f) => Object.assign(f.socket, { configuredGroup: "kube", groupGid: null }), id: "socket", status: "fail", fix: /groupadd kube/ },
  { desc: "a socket not there yet is fine", change: (f) => Object.assign(f.socket, { socketMode: undefined, socketGid: undefined }), id: "socket", status: "ok", message: /created at start with mode 0660/ },
  { desc: "less than 1 GiB free fails", change: (f) => Object.assign(f.disk, { availBytes: 512 * 2 ** 20 }), id: "disk", status: "fail" },
  { desc: "less than 10% free warns", change: (f) => Object.assign(f.disk, { availBytes: 8 * 2 ** 30 }), id: "disk", status: "warn", message: /\(8%\)/ },
  { desc: "few free inodes warn", change: (f) => Object.assign(f.disk, { availInodes: 1000 }), id: "disk", status: "warn", message: /inodes/ },
  { desc: "an unsynchronised clock warns", change: (f) => void (f.clock = { synchronized: false, maxErrorUs: 16_000_000 }), id: "clock", status: "warn", fix: /chrony/ },
  { desc: "a mirror that answers 401 is reachable", change: (f) => void (f.mirrors = [{ registry: "docker.io", endpoint: "https://mirror.local", status: 401 }]), id: "registry.mirror", status: "ok", message: /HTTP 401/ },
  { desc: "a mirror that does not answer warns", change: (f) => void (f.mirrors = [{ registry: "docker.io", endpoint: "https://mirror.local", error: "no answer in 3000 ms" }]), id: "registry.mirror", status: "warn", message: /unreachable: no answer in 3000 ms/ },
];

describe("one broken fact", () => {
  for (const tc of cases) {
    test(tc.desc, () => {
      const facts = healthyFacts();
      tc.change(facts);
      const results = evaluateDoctor(facts);
      const r = find(results, tc.id);
      expect(r.status).toBe(tc.status);
      if (tc.message) expect(r.message).toMatch(tc.message);
      if (tc.fix) expect(r.fix ?? "").toMatch(tc.fix);
      if (r.status === "warn" || r.status === "fail") expect(r.fix ?? "").not.toBe("");
      expect(passed(results)).toBe(tc.status !== "fail");
    });
  }
});
