/**
 * The Windows `Platform`. Mounts, namespaces, device nodes, ownership and xattrs are Linux
 * concepts: those calls throw `NotSupportedError` (callers on Windows take the HCS path
 * instead). DLLs are loaded lazily on the first call that needs them, never at import or
 * construction, so this factory also runs on Linux, where the unit tests build it.
 */
import { dlopen, ptr } from "bun:ffi";
import { NotSupportedError } from "../../errors.ts";
import type { Platform, PlatformFactory, PlatformOp, StatFs } from "../types.ts";
import type { WindowsHost } from "../windows-host.ts";
import { createCallPool } from "./call-pool.ts";
import type { Callable } from "./ffi-types.ts";
import { checkBool, lazyKernel32, wstr } from "./kernel32.ts";
import { ADVAPI32, NTDLL, readOsVersion } from "./os-facts.ts";
import { restrictPipeDacl } from "./pipe-acl.ts";
import { PipePoller } from "./pipe-poller.ts";
import { runAsWindowsService } from "./service-runner.ts";
import { windowsHostOver } from "./windows-host-impl.ts";

const unsupported =
  (op: PlatformOp) =>
  (..._args: unknown[]): never => {
    throw new NotSupportedError(`${op} is not supported on windows`);
  };

/** The Linux-only calls of `Platform`, each throwing `NotSupportedError` (shared with the fake Windows platform). */
export function linuxOnlyCalls(): Omit<Platform, "os" | "windows" | "statfs"> {
  return {
    mount: unsupported("mount"),
    umount2: unsupported("umount2"),
    unshare: unsupported("unshare"),
    setns: unsupported("setns"),
    sethostname: unsupported("sethostname"),
    mknod: unsupported("mknod"),
    lchown: unsupported("lchown"),
    lsetxattr: unsupported("lsetxattr"),
    pinNamespaces: unsupported("pinNamespaces"),
    readNetDev: unsupported("readNetDev"),
    unpinNamespace: unsupported("unpinNamespace"),
    inNetworkNamespace: unsupported("inNetworkNamespace"),
    connectSeqpacket: unsupported("connectSeqpacket"),
    clockSync: unsupported("clockSync"),
    releaseCodePages: unsupported("releaseCodePages"),
  };
}

/** The host's HCS, layers and HNS; nothing is loaded until a call needs it. */
function realWindowsHost(kernel32: ReturnType<typeof lazyKernel32>): WindowsHost {
  let advapi32: Callable<typeof ADVAPI32> | undefined;
  const adv = () => (advapi32 ??= dlopen("advapi32.dll", ADVAPI32).symbols);
  let version: string | undefined;
  return windowsHostOver({
    run: createCallPool(),
    poller: new PipePoller({
      PeekNamedPipe: (...a) => kernel32().PeekNamedPipe(...a),
      ReadFile: (...a) => kernel32().ReadFile(...a),
    }),
    osVersion: () => (version ??= readOsVersion(dlopen("ntdll.dll", NTDLL).symbols, adv())),
    processorCount: () => navigator.hardwareConcurrency,
    restrictPipe: (path, sddl) => restrictPipeDacl({ kernel32: kernel32(), advapi32: adv() }, path, sddl),
    runAsService: runAsWindowsService,
  });
}

export const createWindowsPlatform: PlatformFactory = () => {
  const kernel32 = lazyKernel32();
  let host: WindowsHost | undefined;

  const platform: Platform = {
    os: "windows",
    get windows() {
      return (host ??= realWindowsHost(kernel32));
    },
    ...linuxOnlyCalls(),
    /**
     * Free space of the volume holding `path`, from GetDiskFreeSpaceExW
     * (https://learn.microsoft.com/en-us/windows/win32/api/fileapi/nf-fileapi-getdiskfreespaceexw).
     * It reports bytes, so `blockSize` is 1; Windows has no filesystem magic (`type` 0)
     * and no inode counts (`files`/`ffree` 0).
     */
    statfs(path): StatFs {
      const k32 = kernel32();
      // [0] free bytes available to the caller, [1] total bytes, [2] free bytes.
      const out = new BigUint64Array(3);
      checkBool(k32, k32.GetDiskFreeSpaceExW(wstr(path), ptr(out, 0), ptr(out, 8), ptr(out, 16)), "GetDiskFreeSpaceExW", path);
      const [bavail = 0n, blocks = 0n, bfree = 0n] = out;
      return { type: 0, blockSize: 1, blocks: Number(blocks), bfree: Number(bfree), bavail: Number(bavail), files: 0, ffree: 0 };
    },
  };
  return platform;
};
