import { describe, expect, test } from "bun:test";
import { InvalidArgumentError, SyscallError } from "../../../src/errors.ts";
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWUTS, MNT_DETACH, MS_BIND } from "../../../src/platform/constants.ts";
import { type NsSys, pinNamespaces, readNetDev, unpinNamespace } from "../../../src/platform/linux/namespaces.ts";

type Step = [string, ...unknown[]];

/** An NsSys that logs each step and fails the steps named in `failures`. */
function recordingSys(failures: Record<string, string> = {}) {
  const steps: Step[] = [];
  let nextFd = 10;
  const step = (name: string, ...args: unknown[]) => {
    steps.push([name, ...args]);
    const key = [name, ...args].join(" ");
    for (const [prefix, code] of Object.entries(failures)) {
      if (key.startsWith(prefix)) throw new SyscallError(name, 1, code, String(args[0]));
    }
  };
  const sys: NsSys = {
    openRead: (path) => (step("open", path), nextFd++),
    close: (fd) => step("close", fd),
    createFile: (path) => step("create", path),
    mkdirp: (dir) => step("mkdirp", dir),
    unlink: (path) => step("unlink", path),
    unshare: (flags) => step("unshare", flags),
    setns: (fd, nstype) => step("setns", fd, nstype),
    sethostname: (name) => step("sethostname", name),
    loopbackUp: () => step("loopbackUp"),
    mount: (source, target, _fstype, flags) => step("mount", source, target, flags),
    umount2: (target, flags) => step("umount2", target, flags),
    writeFile: (path, data) => step("write", path, data),
    readFile: (path) => (step("read", path), "net/dev text"),
  };
  return { sys, steps };
}

const pin = (k: string) => `/pins/${k}/sb1`;

describe("pinNamespaces sequence", () => {
  test("creates the pins, unshares, names the host, sets lo up, bind-mounts and returns, in that order", () => {
    const { sys, steps } = recordingSys();
    const pins = pinNamespaces(sys, ["net", "uts"], pin, { hostname: "pod-a" });
    expect(pins).toEqual({ net: "/pins/net/sb1", uts: "/pins/uts/sb1" });
    expect(steps).toEqual([
      ["mkdirp", "/pins/net"],
      ["create", "/pins/net/sb1"],
      ["mkdirp", "/pins/uts"],
      ["create", "/pins/uts/sb1"],
      ["open", "/proc/thread-self/ns/net"],
      ["open", "/proc/thread-self/ns/uts"],
      ["unshare", CLONE_NEWNET | CLONE_NEWUTS],
      ["sethostname", "pod-a"],
      ["loopbackUp"],
      ["mount", "/proc/thread-self/ns/net", "/pins/net/sb1", MS_BIND],
      ["mount", "/proc/thread-self/ns/uts", "/pins/uts/sb1", MS_BIND],
      ["setns", 10, CLONE_NEWNET],
      ["setns", 11, CLONE_NEWUTS],
      ["close", 10],
      ["close", 11],
    ]);
  });

  test("writes the pod's sysctls inside the new namespaces, after lo is up and before the pins are mounted", () => {
    const { sys, steps } = recordingSys();
    pinNamespaces(sys, ["net", "ipc"], pin, {
      sysctls: [
        { kind: "net", path: "net/ipv4/ip_unprivileged_port_start", value: "0" },
        { kind: "ipc", path: "kernel/shmmni", value: "8192" },
      ],
    });
    const names = steps.map(([s]) => s);
    expect(steps.filter(([s]) => s === "write")).toEqual([
      ["write", "/proc/sys/net/ipv4/ip_unprivileged_port_start", "0"],
      ["write", "/proc/sys/kernel/shmmni", "8192"],
    ]);
    expect(names.indexOf("loopbackUp")).toBeLessThan(names.indexOf("write"));
    expect(names.lastIndexOf("write")).toBeLessThan(names.indexOf("mount"));
  });

  const refusedSysctls = [
    { desc: "a sysctl of a namespace not made here is refused before anything is done", kinds: ["ipc"] as const, sysctl: { kind: "net" as const, path: "net/ipv4/ip_forward", value: "1" } },
    { desc: "a sysctl path that climbs out of /proc/sys is refused", kinds: ["net"] as const, sysctl: { kind: "net" as const, path: "net/../../etc/passwd", value: "x" } },
    { desc: "an absolute sysctl path is refused", kinds: ["net"] as const, sysctl: { kind: "net" as const, path: "/etc/passwd", value: "x" } },
  ];
  for (const tc of refusedSysctls) {
    test(tc.desc, () => {
      const { sys, steps } = recordingSys();
      expect(() => pinNamespaces(sys, tc.kinds, pin, { sysctls: [tc.sysctl] })).toThrow(InvalidArgumentError);
      expect(steps).toEqual([]);
    });
  }

  test("a sysctl the kernel refuses undoes the pins and returns the thread", () => {
    const { sys, steps } = recordingSys({ "write /proc/sys/net": "EINVAL" });
    expect(() => pinNamespaces(sys, ["net"], pin, { sysctls: [{ kind: "net", path: "net/core/somaxconn", value: "bad" }] })).toThrow("EINVAL");
    expect(steps.slice(steps.findIndex(([s]) => s === "write") + 1)).toEqual([
      ["setns", 10, CLONE_NEWNET],
      ["unlink", "/pins/net/sb1"],
      ["close", 10],
    ]);
  });

  test("does not set a hostname unless asked, nor touch lo without a new network namespace", () => {
    const { sys, steps } = recordingSys();
    pinNamespaces(sys, ["ipc"], pin);
    expect(steps.some(([s]) => s === "sethostname")).toBe(false);
    expect(steps.some(([s]) => s === "loopbackUp")).toBe(false);
    expect(steps).toContainEqual(["unshare", CLONE_NEWIPC]);
  });

  test("a failure to set lo up returns the thread, undoes the pins and rethrows", () => {
    const { sys, steps } = recordingSys({ loopbackUp: "EPERM" });
    expect(() => pinNamespaces(sys, ["net", "ipc"], pin)).toThrow("EPERM");
    expect(steps.slice(steps.findIndex(([s]) => s === "loopbackUp") + 1)).toEqual([
      ["setns", 10, CLONE_NEWNET],
      ["setns", 11, CLONE_NEWIPC],
      ["unlink", "/pins/ipc/sb1"],
      ["unlink", "/pins/net/sb1"],
      ["close", 10],
      ["close", 11],
    ]);
  });

  test("a failed bind mount returns the thread, undoes the pins and rethrows", () => {
    const { sys, steps } = recordingSys({ "mount /proc/thread-self/ns/uts": "EPERM" });
    expect(() => pinNamespaces(sys, ["net", "uts"], pin)).toThrow("EPERM");
    expect(steps.slice(steps.findIndex(([s, src]) => s === "mount" && src === "/proc/thread-self/ns/uts") + 1)).toEqual([
      ["setns", 10, CLONE_NEWNET],
      ["setns", 11, CLONE_NEWUTS],
      ["umount2", "/pins/net/sb1", MNT_DETACH],
      ["unlink", "/pins/uts/sb1"],
      ["unlink", "/pins/net/sb1"],
      ["close", 10],
      ["close", 11],
    ]);
  });

  test("a pin that exists already fails before the thread leaves its namespaces", () => {
    const { sys, steps } = recordingSys({ "create /pins/uts": "EEXIST" });
    expect(() => pinNamespaces(sys, ["net", "uts"], pin)).toThrow("EEXIST");
    expect(steps.some(([s]) => s === "unshare" || s === "open")).toBe(false);
    expect(steps.at(-1)).toEqual(["unlink", "/pins/net/sb1"]);
  });

  test("a failed unshare removes the pin files and closes the saved fds", () => {
    const { sys, steps } = recordingSys({ unshare: "EPERM" });
    expect(() => pinNamespaces(sys, ["net"], pin)).toThrow("EPERM");
    expect(steps.some(([s]) => s === "setns")).toBe(false);
    expect(steps.slice(-2)).toEqual([
      ["unlink", "/pins/net/sb1"],
      ["close", 10],
    ]);
  });

  test("if the thread cannot return, the error says the process must restart", () => {
    const { sys } = recordingSys({ sethostname: "EINVAL", setns: "EPERM" });
    expect(() => pinNamespaces(sys, ["uts"], pin, { hostname: "x" })).toThrow(/could not return.*restart skiff/);
  });

  const refused = [
    { desc: "no kinds at all are refused", kinds: [] as ("net" | "uts")[], opts: {} },
    { desc: "a duplicate kind is refused", kinds: ["net", "net"] as ("net" | "uts")[], opts: {} },
    { desc: "a hostname without uts is refused (it would rename the host)", kinds: ["net"] as ("net" | "uts")[], opts: { hostname: "h" } },
  ];
  for (const tc of refused) {
    test(tc.desc, () => {
      const { sys, steps } = recordingSys();
      expect(() => pinNamespaces(sys, tc.kinds, pin, tc.opts)).toThrow(InvalidArgumentError);
      expect(steps).toEqual([]);
    });
  }

  test("two kinds mapped to one path are refused", () => {
    const { sys } = recordingSys();
    expect(() => pinNamespaces(sys, ["net", "ipc"], () => "/same")).toThrow(InvalidArgumentError);
  });
});

describe("unpinNamespace", () => {
  test("detaches until the path is no longer a mount point, then unlinks", () => {
    let mounts = 2;
    const { sys, steps } = recordingSys();
    const umount2 = sys.umount2;
    sys.umount2 = (target, flags) => {
      umount2(target, flags);
      if (mounts-- === 0) throw new SyscallError("umount2", 22, "EINVAL", target);
    };
    unpinNamespace(sys, "/pins/net/sb1");
    expect(steps.filter(([s]) => s === "umount2")).toHaveLength(3);
    expect(steps.at(-1)).toEqual(["unlink", "/pins/net/sb1"]);
  });

  test("a pin that is gone already is fine", () => {
    const { sys } = recordingSys({ umount2: "ENOENT", unlink: "ENOENT" });
    expect(() => unpinNamespace(sys, "/pins/net/sb1")).not.toThrow();
  });

  test("other errors are reported", () => {
    const { sys } = recordingSys({ umount2: "EPERM" });
    expect(() => unpinNamespace(sys, "/pins/net/sb1")).toThrow("EPERM");
  });
});

describe("readNetDev", () => {
  test("enters the namespace, reads the thread's own net/dev, and returns before closing both fds", () => {
    const { sys, steps } = recordingSys();
    expect(readNetDev(sys, "/pins/net/sb1")).toBe("net/dev text");
    expect(steps).toEqual([
      ["open", "/pins/net/sb1"],
      ["open", "/proc/thread-self/ns/net"],
      ["setns", 10, CLONE_NEWNET],
      ["read", "/proc/thread-self/net/dev"],
      ["setns", 11, CLONE_NEWNET],
      ["close", 11],
      ["close", 10],
    ]);
  });

  test("a failed read still returns the thread to its own namespace", () => {
    const { sys, steps } = recordingSys({ read: "EIO" });
    expect(() => readNetDev(sys, "/pins/net/sb1")).toThrow("EIO");
    expect(steps).toContainEqual(["setns", 11, CLONE_NEWNET]);
  });

  test("a pin that is gone fails before the thread moves", () => {
    const { sys, steps } = recordingSys({ "open /pins": "ENOENT" });
    expect(() => readNetDev(sys, "/pins/net/sb1")).toThrow("ENOENT");
    expect(steps.some(([s]) => s === "setns")).toBe(false);
  });
});
