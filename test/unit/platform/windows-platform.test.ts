import { describe, expect, test } from "bun:test";
import { NotSupportedError } from "../../../src/errors.ts";
import { createWindowsPlatform } from "../../../src/platform/windows/index.ts";

// Built on Linux on purpose: construction must not load kernel32.dll or vmcompute.dll.
describe("createWindowsPlatform", () => {
  test("constructs on any OS without loading a DLL", () => {
    const p = createWindowsPlatform();
    expect(p.os).toBe("windows");
  });

  const p = createWindowsPlatform();
  const cases: { desc: string; op: string; call: () => unknown }[] = [
    { desc: "mount is not supported", op: "mount", call: () => p.mount("tmpfs", "C:\\x", "tmpfs", 0) },
    { desc: "umount2 is not supported", op: "umount2", call: () => p.umount2("C:\\x", 0) },
    { desc: "unshare is not supported", op: "unshare", call: () => p.unshare(0) },
    { desc: "setns is not supported", op: "setns", call: () => p.setns(3, 0) },
    { desc: "sethostname is not supported", op: "sethostname", call: () => p.sethostname("pod") },
    { desc: "mknod is not supported", op: "mknod", call: () => p.mknod("C:\\x", 0o10644, 0) },
    { desc: "lchown is not supported", op: "lchown", call: () => p.lchown("C:\\x", 0, 0) },
    { desc: "lsetxattr is not supported", op: "lsetxattr", call: () => p.lsetxattr("C:\\x", "user.a", new Uint8Array(), 0) },
    { desc: "pinNamespaces is not supported", op: "pinNamespaces", call: () => p.pinNamespaces(["net"], () => "C:\\x") },
    { desc: "unpinNamespace is not supported", op: "unpinNamespace", call: () => p.unpinNamespace("C:\\x") },
    { desc: "clockSync is not supported", op: "clockSync", call: () => p.clockSync() },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      expect(tc.call).toThrow(NotSupportedError);
      expect(tc.call).toThrow(`${tc.op} is not supported on windows`);
    });
  }

  test.skipIf(process.platform === "win32")("statfs loads kernel32.dll only when called", () => {
    // On Linux the lazy dlopen of kernel32.dll fails, which shows it happens at call time.
    expect(() => createWindowsPlatform().statfs("C:\\")).toThrow();
  });
});
