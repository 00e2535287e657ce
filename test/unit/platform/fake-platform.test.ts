import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidArgumentError, SyscallError } from "../../../src/errors.ts";
import { FAKE_STATFS, FakePlatform } from "../../../src/platform/fake/index.ts";
import { MNT_DETACH, MS_NODEV, MS_NOSUID, TMPFS_MAGIC } from "../../../src/platform/index.ts";

const eperm = () => new SyscallError("mount", 1, "EPERM", "/x", "operation not permitted");

describe("FakePlatform call log", () => {
  test("records every call with its arguments, in order", () => {
    const p = new FakePlatform();
    p.mount("shm", "/run/pod/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=65536k");
    p.umount2("/run/pod/shm", MNT_DETACH);
    p.lchown("/a", 1000, 1000);
    expect(p.calls).toEqual([
      { op: "mount", args: ["shm", "/run/pod/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=65536k"] },
      { op: "umount2", args: ["/run/pod/shm", MNT_DETACH] },
      { op: "lchown", args: ["/a", 1000, 1000] },
    ]);
  });

  test("callsOf returns the arguments of one op only", () => {
    const p = new FakePlatform();
    p.mount("a", "/a", null, 0);
    p.sethostname("pod");
    p.mount("b", "/b", null, 0);
    expect(p.callsOf("mount").map((args) => args[1])).toEqual(["/a", "/b"]);
    expect(p.callsOf("sethostname")).toEqual([["pod"]]);
    expect(p.callsOf("unshare")).toEqual([]);
  });

  test("clearCalls forgets the log", () => {
    const p = new FakePlatform();
    p.unshare(0);
    p.clearCalls();
    expect(p.calls).toEqual([]);
  });

  test("defaults to linux and can pretend to be windows", () => {
    expect(new FakePlatform().os).toBe("linux");
    expect(new FakePlatform({ os: "windows" }).os).toBe("windows");
  });
});

describe("FakePlatform error injection", () => {
  test("an injected error is thrown on every call until cleared, and the call is still logged", () => {
    const p = new FakePlatform().injectError("mount", eperm());
    expect(() => p.mount("a", "/a", null, 0)).toThrow(SyscallError);
    expect(() => p.mount("a", "/a", null, 0)).toThrow("EPERM");
    expect(p.callsOf("mount")).toHaveLength(2);
    p.clearErrors();
    expect(() => p.mount("a", "/a", null, 0)).not.toThrow();
  });

  test("times limits how many calls fail", () => {
    const p = new FakePlatform().injectError("umount2", eperm(), { times: 1 });
    expect(() => p.umount2("/a", 0)).toThrow("EPERM");
    expect(() => p.umount2("/a", 0)).not.toThrow();
  });

  test("queued injections run in order", () => {
    const p = new FakePlatform()
      .injectError("statfs", new Error("first"), { times: 1 })
      .injectError("statfs", new Error("second"), { times: 1 });
    expect(() => p.statfs("/")).toThrow("first");
    expect(() => p.statfs("/")).toThrow("second");
    expect(p.statfs("/").type).toBe(TMPFS_MAGIC);
  });

  test("an error factory sees the call's arguments", () => {
    const p = new FakePlatform().injectError("mknod", (path) => new Error(`no mknod at ${String(path)}`));
    expect(() => p.mknod("/dev/x", 0, 0)).toThrow("no mknod at /dev/x");
  });

  test("an injection for one op leaves the others alone", () => {
    const p = new FakePlatform().injectError("setns", eperm());
    expect(() => p.unshare(0)).not.toThrow();
  });
});

describe("FakePlatform behaviour", () => {
  test("statfs returns a copy of statfsResult", () => {
    const p = new FakePlatform();
    expect(p.statfs("/x")).toEqual(FAKE_STATFS);
    p.statfsResult = (path) => ({ ...FAKE_STATFS, bavail: path.length });
    expect(p.statfs("/abc").bavail).toBe(4);
  });

  test("on() replaces an op's behaviour after recording it", () => {
    const seen: string[] = [];
    const p = new FakePlatform().on("lsetxattr", (path, name) => void seen.push(`${path} ${name}`));
    p.lsetxattr("/f", "trusted.x", new Uint8Array([1]), 0);
    expect(seen).toEqual(["/f trusted.x"]);
    expect(p.callsOf("lsetxattr")).toHaveLength(1);
  });
});

describe("FakePlatform pins", () => {
  let dir: string | undefined;
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  test("pinNamespaces records the resolved pin paths and keeps the pins in memory", () => {
    const p = new FakePlatform();
    const pins = p.pinNamespaces(["net", "uts"], (k) => `/run/skiff/${k}/abc`, { hostname: "pod" });
    expect(pins).toEqual({ net: "/run/skiff/net/abc", uts: "/run/skiff/uts/abc" });
    expect(p.callsOf("pinNamespaces")).toEqual([
      [["net", "uts"], { net: "/run/skiff/net/abc", uts: "/run/skiff/uts/abc" }, { hostname: "pod" }],
    ]);
    expect(p.pins.get("/run/skiff/uts/abc")).toEqual({ kind: "uts", hostname: "pod" });
    expect(p.pins.get("/run/skiff/net/abc")).toEqual({ kind: "net" });
    expect(existsSync("/run/skiff/net/abc")).toBe(false);
  });

  test("pinning a path twice fails with EEXIST", () => {
    const p = new FakePlatform();
    p.pinNamespaces(["net"], () => "/p/net");
    expect(() => p.pinNamespaces(["net"], () => "/p/net")).toThrow("EEXIST");
  });

  test("a hostname without a uts namespace is refused", () => {
    const p = new FakePlatform();
    expect(() => p.pinNamespaces(["net"], () => "/p/net", { hostname: "pod" })).toThrow(InvalidArgumentError);
    expect(p.pins.size).toBe(0);
  });

  test("an injected error pins nothing", () => {
    const p = new FakePlatform().injectError("pinNamespaces", eperm(), { times: 1 });
    expect(() => p.pinNamespaces(["net"], () => "/p/net")).toThrow("EPERM");
    expect(p.pins.size).toBe(0);
  });

  test("unpinNamespace forgets the pin and is idempotent", () => {
    const p = new FakePlatform();
    p.pinNamespaces(["ipc"], () => "/p/ipc");
    p.unpinNamespace("/p/ipc");
    p.unpinNamespace("/p/ipc");
    expect(p.pins.size).toBe(0);
    expect(p.callsOf("unpinNamespace")).toEqual([["/p/ipc"], ["/p/ipc"]]);
  });

  test("writePinFiles creates and removes empty pin files", () => {
    dir = mkdtempSync(join(tmpdir(), "skiff-fake-"));
    const p = new FakePlatform({ writePinFiles: true });
    const pins = p.pinNamespaces(["net"], (k) => join(dir!, "ns", k));
    expect(Bun.file(pins.net).size).toBe(0);
    p.unpinNamespace(pins.net);
    expect(existsSync(pins.net)).toBe(false);
  });
});
