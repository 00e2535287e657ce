/**
 * Checks of the kernel: cgroup layout and controllers, overlayfs, and the features that
 * optional CRI fields need (user namespaces, idmapped mounts, recursive read-only
 * mounts). Pure.
 */
import { handlerFeatures, kernelAtLeast } from "../runtime/runtime-features.ts";
import { type CheckResult, fail, ok, warn } from "./check-result.ts";
import type { DoctorFacts } from "./doctor-facts.ts";

/** Controllers skiff's pods need, and what goes missing without each. */
const NEEDED_CONTROLLERS: Record<string, string> = {
  cpu: "CPU limits",
  memory: "memory limits and stats",
  pids: "process-count limits",
};

function cgroupCheck(facts: DoctorFacts): CheckResult {
  const { layout, driver } = facts.cgroup;
  const detail = `cgroup driver ${driver}`;
  if (layout === "none") return fail("cgroup", "no cgroup filesystem is mounted", "mount cgroup2 on /sys/fs/cgroup (systemd does this at boot)");
  if (layout === "v2") return ok("cgroup", `cgroup v2 (${detail})`);
  const what = layout === "hybrid" ? "cgroup v1 (hybrid: controllers on v1, v2 mounted for systemd only)" : "cgroup v1";
  return warn(
    "cgroup",
    `${what}, ${detail}; Kubernetes keeps cgroup v1 in maintenance mode since 1.31`,
    "boot with systemd.unified_cgroup_hierarchy=1 (cgroup v2) when the node can be rebooted",
  );
}

function controllersCheck(facts: DoctorFacts): CheckResult {
  const have = new Set(facts.cgroup.controllers);
  const missing = Object.keys(NEEDED_CONTROLLERS).filter((c) => !have.has(c));
  const list = [...have].sort().join(" ");
  if (missing.length === 0) return ok("cgroup.controllers", `controllers: ${list}`);
  const lost = missing.map((c) => `${c} (${NEEDED_CONTROLLERS[c]})`).join(", ");
  return warn("cgroup.controllers", `missing cgroup controllers: ${lost}; have: ${list || "none"}`, "enable them on the kernel command line (e.g. cgroup_enable=memory) and reboot");
}

function overlayCheck(facts: DoctorFacts): CheckResult {
  if (facts.filesystems.includes("overlay")) return ok("overlay", "overlayfs available (container root filesystems)");
  return fail("overlay", "the kernel does not list overlay in /proc/filesystems; containers' root filesystems are overlay mounts", "modprobe overlay, and list it in /etc/modules-load.d/ so it loads at boot");
}

function userNamespacesCheck(facts: DoctorFacts): CheckResult {
  const max = facts.maxUserNamespaces;
  if (max !== undefined && max > 0) return ok("kernel.userns", `user namespaces available (user.max_user_namespaces ${max})`);
  return warn(
    "kernel.userns",
    `user namespaces unavailable (${max === undefined ? "/proc/sys/user/max_user_namespaces unreadable" : "user.max_user_namespaces is 0"}); pods with hostUsers: false need them (skiff does not run those yet)`,
    "sysctl -w user.max_user_namespaces=15000",
  );
}

function idmapCheck(facts: DoctorFacts): CheckResult {
  const k = facts.kernelRelease;
  if (kernelAtLeast(k, 5, 19)) return ok("kernel.idmap", `idmapped mounts available, on overlay too (Linux ${k} >= 5.19)`);
  if (kernelAtLeast(k, 5, 12)) return warn("kernel.idmap", `Linux ${k} has idmapped mounts but not on overlay (5.19); user-namespaced pods would need copied layers`, "upgrade the kernel to 5.19 or newer");
  return warn("kernel.idmap", `Linux ${k} has no idmapped mounts (5.12); user-namespaced pods cannot share image layers`, "upgrade the kernel to 5.19 or newer");
}

/** `rro` for the default handler, on the same terms Status reports it to the kubelet. */
function rroCheck(facts: DoctorFacts): CheckResult {
  const runtime = facts.runtimes.find((r) => r.isDefault);
  const k = facts.kernelRelease;
  if (runtime && handlerFeatures(runtime.mountOptions, k).recursiveReadOnlyMounts) {
    return ok("kernel.rro", `recursive read-only mounts available (Linux ${k}, ${runtime.path} knows rro)`);
  }
  const why: string[] = [];
  if (!kernelAtLeast(k, 5, 12)) why.push(`Linux ${k} is older than 5.12 (mount_setattr)`);
  if (!runtime?.mountOptions?.includes("rro")) why.push(`${runtime?.path ?? "the default runtime"} does not list rro in its \`features\``);
  return warn("kernel.rro", `recursive read-only mounts unavailable: ${why.join("; ")}; pods whose volume mounts ask for recursiveReadOnly: Enabled will not start`, "a runtime whose `features` lists rro, on Linux 5.12 or newer");
}

/** cgroups, overlayfs and kernel features. */
export function kernelChecks(facts: DoctorFacts): CheckResult[] {
  const out = [cgroupCheck(facts)];
  if (facts.cgroup.layout !== "none") out.push(controllersCheck(facts));
  out.push(overlayCheck(facts), ok("kernel", `Linux ${facts.kernelRelease}`), userNamespacesCheck(facts), idmapCheck(facts), rroCheck(facts));
  return out;
}
