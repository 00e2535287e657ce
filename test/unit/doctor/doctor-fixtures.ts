/** A healthy host's doctor facts, for tests to break one fact at a time. */
import type { DoctorFacts } from "../../../src/doctor/doctor-facts.ts";

export const RUNC_115 = "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4\n";
export const RUNC_136 = "runc version 1.3.6\ncommit: v1.3.6-0-g1234567\nspec: 1.2.1\ngo: go1.24.4\nlibseccomp: 2.5.6\n";

export function healthyFacts(): DoctorFacts {
  return {
    configErrors: [],
    runtimes: [
      { handler: "runc", isDefault: true, path: "/usr/sbin/runc", versionOutput: RUNC_136, changelog: "", mountOptions: ["bind", "rro", "ro"] },
      { handler: "crun", isDefault: false, path: "/usr/bin/crun", versionOutput: "crun version 1.8.1\ncommit: f8a096be\n", changelog: "" },
    ],
    conmon: { path: "/usr/bin/conmon", versionOutput: "conmon version 2.1.6\ncommit: unknown\n" },
    infra: { kind: "binary", binary: { path: "/usr/bin/catatonit", versionOutput: "tini version 0.1.7_catatonit\n" }, dynamic: false, everyPod: false },
    cni: {
      confDir: "/etc/cni/net.d",
      binDirs: ["/usr/lib/cni", "/opt/cni/bin"],
      networks: [{ name: "skiff", source: "10-skiff.conflist", pluginTypes: ["bridge", "host-local", "portmap"] }],
      skipped: [],
      writeDefault: true,
      defaultPluginTypes: ["bridge", "host-local", "portmap"],
      found: { bridge: "/usr/lib/cni", "host-local": "/usr/lib/cni", portmap: "/usr/lib/cni" },
    },
    cgroup: { layout: "v2", driver: "systemd", controllers: ["cpuset", "cpu", "io", "memory", "pids"] },
    filesystems: ["sysfs", "tmpfs", "cgroup2", "overlay", "ext4"],
    kernelRelease: "6.1.0-18-amd64",
    maxUserNamespaces: 63459,
    iptables: { path: "/usr/sbin/iptables", versionOutput: "iptables v1.8.9 (nf_tables)\n" },
    socket: { path: "/run/skiff/skiff.sock", configuredMode: 0o660, configuredGroup: "", dirMode: 0o711, socketMode: 0o660, socketGid: 0 },
    disk: { path: "/var/lib/skiff", availBytes: 40 * 2 ** 30, totalBytes: 100 * 2 ** 30, availInodes: 5_000_000, totalInodes: 6_000_000 },
    clock: { synchronized: true, maxErrorUs: 12_000 },
    mirrors: [],
  };
}
