/**
 * Security context (LinuxContainerSecurityContext) as the kernel sees it: the ids,
 * groups, capability sets, no_new_privs and seccomp mode of the container's first
 * process (its /proc/1/status, in a PID namespace of its own), the filesystem views
 * (read-only rootfs, masked and read-only paths), sysctls, seccomp profiles of every
 * kind, and AppArmor on a host without it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Case, expect, okOrFailed, refusal, runCases } from "./cases.ts";
import { USER_IN_IMAGE } from "./conformance-images.ts";
import { containerStatus, createContainer, ctrConfig, ctrLinux, execOut, execSync, podLinux, runContainer, runPod } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes({ pull: (i) => [i.busybox, i.users, i.named] });

const STATUS_FIELDS = ["Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp"] as const;
type ProcStatus = Record<(typeof STATUS_FIELDS)[number], string>;

function statusFields(text: string): ProcStatus {
  const get = (k: string) => new RegExp(`^${k}:[ \\t]*(.*)$`, "m").exec(text)?.[1]?.trim().replace(/\s+/g, " ") ?? "";
  return Object.fromEntries(STATUS_FIELDS.map((k) => [k, get(k)])) as ProcStatus;
}

/** This (host, root) process's status: the capabilities the host can grant. */
const host = () => statusFields(fs.readFileSync("/proc/self/status", "utf8"));

/** The capability mask without the bits of `names` (CAP_ numbers). */
const without = (mask: string, ...bits: number[]) => bits.reduce((m, b) => m & ~(1n << BigInt(b)), BigInt(`0x${mask}`)).toString(16).padStart(16, "0");
const CAP_CHOWN = 0;
const CAP_NET_ADMIN = 12;

type Sec = Record<string, unknown>;

/** A pod (privileged when the container is) with one sleeping container of `image` under `sc`. */
async function sleeper(rt: Runtime, name: string, sc: Sec, image = rts.images.busybox, podSc: Sec = {}): Promise<string> {
  const pod = await runPod(rt, name, podLinux({ ...(sc.privileged ? { privileged: true } : {}), ...podSc }));
  return runContainer(rt, pod, ctrConfig(name, image, "sleep 100000", ctrLinux(sc)));
}

/** /proc/1/status of a fresh container under `sc`. */
async function firstProcess(rt: Runtime, name: string, sc: Sec, image?: string): Promise<ProcStatus> {
  const id = await sleeper(rt, name, sc, image);
  return statusFields(await execOut(rt, id, ["cat", "/proc/1/status"]));
}

const pick = <K extends keyof ProcStatus>(s: ProcStatus, ...keys: K[]) => Object.fromEntries(keys.map((k) => [k, s[k]])) as Pick<ProcStatus, K>;
const ids = (s: ProcStatus) => pick(s, "Uid", "Gid", "Groups");
const caps = (s: ProcStatus) => pick(s, "CapPrm", "CapEff", "CapBnd");

/** Writes a seccomp profile file for this runtime; returns its path. */
function profile(rt: Runtime, name: string, body: object): string {
  const p = path.join(rt.work, "seccomp", `${name}.json`);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, JSON.stringify(body));
  return p;
}

const HOST_APPARMOR = fs.existsSync("/sys/module/apparmor/parameters/enabled") && fs.readFileSync("/sys/module/apparmor/parameters/enabled", "utf8").trim() === "Y";
const noMkdir = { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO" }] };
const u = USER_IN_IMAGE;
const mergeGroups = `${u.gid} 1234 ${u.extraGroup}`;

const cases: Case<any>[] = [
  {
    desc: "with no security context the first process runs as root with the runtime's default capabilities, no no_new_privs and no seccomp",
    run: (rt) => firstProcess(rt, "defaults", {}),
    check: (seen) => expect(pick(seen, "Uid", "NoNewPrivs", "Seccomp")).toEqual({ Uid: "0 0 0 0", NoNewPrivs: "0", Seccomp: "0" }),
  },
  {
    desc: "run_as_user without a passwd entry runs as that uid with gid 0",
    run: async (rt) => ids(await firstProcess(rt, "uid", { run_as_user: { value: 4321 } })),
    check: (seen) => expect(seen).toEqual({ Uid: "4321 4321 4321 4321", Gid: "0 0 0 0", Groups: "0" }),
  },
  {
    desc: "run_as_user with run_as_group sets both ids",
    run: async (rt) => ids(await firstProcess(rt, "uid-gid", { run_as_user: { value: 4321 }, run_as_group: { value: 8765 } })),
    check: (seen) => expect(seen).toEqual({ Uid: "4321 4321 4321 4321", Gid: "8765 8765 8765 8765", Groups: "8765" }),
  },
  {
    desc: "run_as_username is looked up in the image's /etc/passwd, and the user's groups in its /etc/group are added",
    run: async (rt) => ids(await firstProcess(rt, "username", { run_as_username: u.name }, rts.images.users)),
    check: (seen) => expect(seen).toEqual({ Uid: "1000 1000 1000 1000", Gid: "1000 1000 1000 1000", Groups: `${u.gid} ${u.extraGroup}` }),
  },
  {
    desc: "the image's User, a number or a name, takes its uid and gid from the image's passwd file",
    run: async (rt) => ({
      numeric: pick(await firstProcess(rt, "image-user", {}, rts.images.users), "Uid", "Gid"),
      named: pick(await firstProcess(rt, "image-named", {}, rts.images.named), "Uid", "Gid"),
    }),
    check: (seen) => expect(seen).toEqual({ numeric: { Uid: "1000 1000 1000 1000", Gid: "1000 1000 1000 1000" }, named: { Uid: "1000 1000 1000 1000", Gid: "1000 1000 1000 1000" } }),
  },
  {
    desc: "the image's User also gets its groups from the image's /etc/group, as run_as_user does",
    skiffOnly:
      "containerd 1.6 looks the groups up for run_as_user only (uid 0 when unset), not for the image's User; containerd 2.0 takes the image's User, and so does skiff",
    run: async (rt) => ({
      numeric: (await firstProcess(rt, "image-user-groups", {}, rts.images.users)).Groups,
      named: (await firstProcess(rt, "image-named-groups", {}, rts.images.named)).Groups,
    }),
    check: (seen) => expect(seen).toEqual({ numeric: `${u.gid} ${u.extraGroup}`, named: `${u.gid} ${u.extraGroup}` }),
  },
  {
    desc: "supplemental groups (policy Merge, the default) add to the image's groups of the user, and the primary gid is one of the process's groups",
    run: async (rt) => {
      const id = await sleeper(rt, "merge", { run_as_user: { value: u.uid }, supplemental_groups: [1234] }, rts.images.users);
      return { groups: statusFields(await execOut(rt, id, ["cat", "/proc/1/status"])).Groups, idG: (await execOut(rt, id, ["id", "-G"])).trim() };
    },
    check: (seen) => expect(seen).toEqual({ groups: mergeGroups, idG: mergeGroups }),
  },
  {
    desc: "ContainerStatus.user reports the uid, gid and supplementary groups of the first process as the kernel has them (Merge and Strict)",
    skiffOnly: "containerd 1.6 has neither ContainerStatus.user nor the supplemental groups policy (both came with containerd 2.0)",
    run: async (rt) => {
      const seen: Record<string, unknown> = {};
      for (const policy of ["Merge", "Strict"]) {
        const id = await sleeper(rt, `user-${policy.toLowerCase()}`, { run_as_user: { value: u.uid }, supplemental_groups: [1234], supplemental_groups_policy: policy }, rts.images.users);
        const user = (await containerStatus(rt, id)).user.linux;
        seen[policy] = {
          reported: `${user.uid} ${user.gid} ${user.supplemental_groups.join(" ")}`,
          kernel: ((s) => `${s.Uid.split(" ")[0]} ${s.Gid.split(" ")[0]} ${s.Groups}`)(statusFields(await execOut(rt, id, ["cat", "/proc/1/status"]))),
          idG: (await execOut(rt, id, ["id", "-G"])).trim(),
        };
      }
      return seen;
    },
    check: (seen) =>
      expect(seen).toEqual({
        Merge: { reported: `1000 1000 ${mergeGroups}`, kernel: `1000 1000 ${mergeGroups}`, idG: mergeGroups },
        Strict: { reported: "1000 1000 1000 1234", kernel: "1000 1000 1000 1234", idG: "1000 1234" },
      }),
  },
  {
    desc: "a read-only rootfs refuses writes, except to the pod's /dev/shm",
    run: async (rt) => {
      const id = await sleeper(rt, "ro-rootfs", { readonly_rootfs: true });
      const write = async (p: string) => (await execSync(rt, id, ["touch", p])).code === 0;
      return { root: await write("/x"), tmp: await write("/tmp/x"), shm: await write("/dev/shm/x") };
    },
    check: (seen) => expect(seen).toEqual({ root: false, tmp: false, shm: true }),
  },
  {
    desc: "masked paths read as empty and read-only paths refuse writes",
    run: async (rt) => {
      const id = await sleeper(rt, "masked", { masked_paths: ["/proc/cpuinfo", "/etc/passwd"], readonly_paths: ["/tmp"] });
      return {
        cpuinfo: await execOut(rt, id, ["cat", "/proc/cpuinfo"]),
        passwd: await execOut(rt, id, ["cat", "/etc/passwd"]),
        tmpWritable: (await execSync(rt, id, ["touch", "/tmp/x"])).code === 0,
      };
    },
    check: (seen) => expect(seen).toEqual({ cpuinfo: "", passwd: "", tmpWritable: false }),
  },
  {
    desc: "an added capability is in the bounding, permitted and effective sets",
    run: async (rt) => caps(await firstProcess(rt, "cap-add", { capabilities: { add_capabilities: ["NET_ADMIN"] } })),
    check: (seen) => expect((BigInt(`0x${seen.CapEff}`) >> BigInt(CAP_NET_ADMIN)) & 1n).toBe(1n),
  },
  {
    desc: "a dropped capability is gone, and what needs it fails",
    run: async (rt) => {
      const id = await sleeper(rt, "cap-drop", { run_as_user: { value: 0 }, capabilities: { drop_capabilities: ["CHOWN", "MKNOD"] } }, rts.images.users);
      const works = async (cmd: string[]) => (await execSync(rt, id, cmd)).code === 0;
      return {
        ...caps(statusFields(await execOut(rt, id, ["cat", "/proc/1/status"]))),
        chown: await works(["chown", "1", "/tmp"]),
        mknod: await works(["mknod", "/tmp/null", "c", "1", "3"]),
        touch: await works(["touch", "/tmp/f"]),
      };
    },
    check: (seen) => expect({ chown: seen.chown, mknod: seen.mknod, touch: seen.touch }).toEqual({ chown: false, mknod: false, touch: true }),
  },
  {
    desc: "add_capabilities ALL grants every capability the host can grant",
    run: async (rt) => caps(await firstProcess(rt, "cap-all", { capabilities: { add_capabilities: ["ALL"] } })),
    check: (seen) => expect(seen).toEqual({ CapPrm: host().CapBnd, CapEff: host().CapBnd, CapBnd: host().CapBnd }),
  },
  {
    desc: "add_capabilities ALL with one dropped grants all the host has but that one",
    run: async (rt) => caps(await firstProcess(rt, "cap-all-but", { capabilities: { add_capabilities: ["ALL"], drop_capabilities: ["CHOWN"] } })),
    check: (seen) => expect(seen.CapEff).toBe(without(host().CapBnd, CAP_CHOWN)),
  },
  {
    desc: "drop_capabilities ALL leaves no capability",
    run: async (rt) => caps(await firstProcess(rt, "cap-none", { capabilities: { drop_capabilities: ["ALL"] } })),
    check: (seen) => expect(seen).toEqual({ CapPrm: "0000000000000000", CapEff: "0000000000000000", CapBnd: "0000000000000000" }),
  },
  {
    desc: "a privileged container has every capability the host has and the host's devices",
    run: async (rt) => {
      const id = await sleeper(rt, "privileged", { privileged: true });
      return { ...caps(statusFields(await execOut(rt, id, ["cat", "/proc/1/status"]))), kmsg: (await execSync(rt, id, ["test", "-c", "/dev/kmsg"])).code === 0 };
    },
    check: (seen) => expect(seen).toEqual({ CapPrm: host().CapBnd, CapEff: host().CapBnd, CapBnd: host().CapBnd, kmsg: true }),
  },
  {
    desc: "no_new_privs is set on the process",
    run: async (rt) => (await firstProcess(rt, "nnp", { no_new_privs: true })).NoNewPrivs,
    check: (seen) => expect(seen).toBe("1"),
  },
  {
    desc: "seccomp RuntimeDefault filters the process; Unconfined does not",
    run: async (rt) => ({
      runtimeDefault: (await firstProcess(rt, "seccomp-default", { seccomp: { profile_type: "RuntimeDefault" } })).Seccomp,
      unconfined: (await firstProcess(rt, "seccomp-unconfined", { seccomp: { profile_type: "Unconfined" } })).Seccomp,
    }),
    check: (seen) => expect(seen).toEqual({ runtimeDefault: "2", unconfined: "0" }),
  },
  {
    desc: "a Localhost seccomp profile from the node is applied",
    run: async (rt) => {
      const id = await sleeper(rt, "seccomp-local", { seccomp: { profile_type: "Localhost", localhost_ref: profile(rt, "no-mkdir", noMkdir) } });
      const mkdir = await execSync(rt, id, ["mkdir", "/tmp/d"]);
      return { mkdir: mkdir.code === 0, touch: (await execSync(rt, id, ["touch", "/tmp/f"])).code === 0 };
    },
    check: (seen) => expect(seen).toEqual({ mkdir: false, touch: true }),
  },
  {
    desc: "a Localhost seccomp profile that does not exist is refused",
    run: async (rt) => {
      const pod = await runPod(rt, "seccomp-missing");
      const sc = { seccomp: { profile_type: "Localhost", localhost_ref: path.join(rt.work, "seccomp", "missing.json") } };
      return okOrFailed(createContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 1", ctrLinux(sc))));
    },
    check: (seen) => expect(seen).toBe("failed"),
  },
  {
    desc: "sysctls of the pod are set in its namespaces",
    run: async (rt) => {
      const pod = await runPod(rt, "sysctls", podLinux({}, { sysctls: { "net.ipv4.ip_unprivileged_port_start": "123", "kernel.shm_rmid_forced": "1" } }));
      const id = await runContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 100000"));
      return (await execOut(rt, id, ["cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/kernel/shm_rmid_forced"])).split("\n").filter(Boolean);
    },
    check: (seen) => expect(seen).toEqual(["123", "1"]),
  },
  {
    desc: "an AppArmor Localhost profile on a host without AppArmor is refused",
    run: async (rt) => {
      if (HOST_APPARMOR) return "host has AppArmor";
      const pod = await runPod(rt, "apparmor-local");
      const apparmor = { profile_type: "Localhost", localhost_ref: "skiff-test" };
      return okOrFailed(createContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 1", ctrLinux({ apparmor }))));
    },
    check: (seen) => expect(seen).toBe(HOST_APPARMOR ? "host has AppArmor" : "failed"),
  },
  {
    desc: "AppArmor RuntimeDefault on a host without AppArmor runs the container with no profile",
    skiffOnly:
      "containerd refuses RuntimeDefault on a host without AppArmor; the kubelet never sends it to one (its admission refuses such a pod), and skiff, as CRI-O, reads RuntimeDefault as the runtime's default, which here is no profile",
    run: async (rt) => {
      if (HOST_APPARMOR) return "host has AppArmor";
      const pod = await runPod(rt, "apparmor-default");
      const apparmor = { profile_type: "RuntimeDefault" };
      return okOrFailed(runContainer(rt, pod, ctrConfig("c", rts.images.busybox, "sleep 1", ctrLinux({ apparmor }))));
    },
    check: (seen) => expect(seen).toBe(HOST_APPARMOR ? "host has AppArmor" : "OK"),
  },
  {
    desc: "refusals of a bad security context name the field: a missing seccomp profile, an unknown capability, run_as_group alone",
    skiffOnly: "containerd 1.6 answers Unknown for each, or takes an unknown capability and fails later in runc",
    run: async (rt) => {
      const pod = await runPod(rt, "sc-codes");
      const refused = (name: string, sc: Sec, what: string) => refusal(createContainer(rt, pod, ctrConfig(name, rts.images.busybox, "sleep 1", ctrLinux(sc))), what);
      const field = "config.linux.security_context";
      return {
        seccomp: await refused("a", { seccomp: { profile_type: "Localhost", localhost_ref: "/nonexistent/profile.json" } }, `${field}.seccomp`),
        capability: await refused("b", { capabilities: { add_capabilities: ["FLY"] } }, `${field}.capabilities.add_capabilities`),
        groupAlone: await refused("c", { run_as_group: { value: 5 } }, `${field}.run_as_group`),
      };
    },
    check: (seen) =>
      expect(seen).toEqual({
        seccomp: "INVALID_ARGUMENT config.linux.security_context.seccomp",
        capability: "INVALID_ARGUMENT config.linux.security_context.capabilities.add_capabilities",
        groupAlone: "INVALID_ARGUMENT config.linux.security_context.run_as_group",
      }),
  },
];

runCases("security context", rts, cases);
