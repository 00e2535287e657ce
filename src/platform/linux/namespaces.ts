/**
 * Namespace pinning: make a sandbox's net/uts/ipc namespaces exist as files before any
 * process lives in them, as containerd's netns package and CNI expect
 * (https://github.com/containernetworking/cni/blob/main/SPEC.md: "CNI_NETNS ... path to
 * the network namespace"). The JS thread unshares, bind-mounts its own
 * /proc/thread-self/ns/<kind> onto each pin file, and setns(2)es back, all in one
 * synchronous call so no other JS runs inside the new namespaces.
 *
 * The sequence is written against `NsSys`, a handful of raw calls, so its ordering and
 * its undo path can be unit-tested without root.
 */
import { dirname } from "node:path";
import { InvalidArgumentError, SyscallError } from "../../errors.ts";
import { CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWUTS, MNT_DETACH, MS_BIND } from "../constants.ts";
import type { NamespaceKind, PinOptions } from "../types.ts";

/** The raw calls pinning needs; each throws `SyscallError` on failure. */
export interface NsSys {
  /** open(path, O_RDONLY|O_CLOEXEC) → fd */
  openRead(path: string): number;
  close(fd: number): void;
  /** Creates an empty regular file, failing if `path` exists (O_CREAT|O_EXCL). */
  createFile(path: string): void;
  mkdirp(dir: string): void;
  unlink(path: string): void;
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  sethostname(name: string): void;
  /** Sets `lo` up in the calling thread's network namespace. */
  loopbackUp(): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void;
  umount2(target: string, flags: number): void;
  /** Writes `data` to an existing file (a /proc/sys entry) from the calling thread. */
  writeFile(path: string, data: string): void;
  /** Reads a whole file (a /proc entry) from the calling thread. */
  readFile(path: string): string;
}

/** The clone flag of each kind, for unshare(2) and setns(2). */
export const NAMESPACE_CLONE_FLAG: Readonly<Record<NamespaceKind, number>> = {
  net: CLONE_NEWNET,
  uts: CLONE_NEWUTS,
  ipc: CLONE_NEWIPC,
};

/** `/proc/thread-self/ns/<kind>`: the namespace of the calling thread, not the process. */
export const threadNsPath = (kind: NamespaceKind): string => `/proc/thread-self/ns/${kind}`;

/** See `Platform.pinNamespaces`. */
export function pinNamespaces<K extends NamespaceKind>(
  sys: NsSys,
  kinds: readonly K[],
  pinPath: (kind: K) => string,
  opts: PinOptions = {},
): Record<K, string> {
  const pins = planPins(kinds, pinPath, opts);
  const saved = new Map<K, number>();
  const created: string[] = [];
  const mounted: string[] = [];
  let unshared = false;
  try {
    // Files first: a clash (EEXIST) fails before the thread leaves its namespaces.
    for (const kind of kinds) {
      sys.mkdirp(dirname(pins[kind]));
      sys.createFile(pins[kind]);
      created.push(pins[kind]);
    }
    for (const kind of kinds) saved.set(kind, sys.openRead(threadNsPath(kind)));
    sys.unshare(kinds.reduce((flags, kind) => flags | NAMESPACE_CLONE_FLAG[kind], 0));
    unshared = true;
    if (opts.hostname !== undefined) sys.sethostname(opts.hostname);
    // A new network namespace starts with `lo` down; every pod needs it up, which is all
    // the CNI loopback plugin would do, without a process exec per pod.
    if (kinds.includes("net" as K)) sys.loopbackUp();
    for (const s of opts.sysctls ?? []) sys.writeFile(`/proc/sys/${s.path}`, s.value);
    for (const kind of kinds) {
      sys.mount(threadNsPath(kind), pins[kind], null, MS_BIND);
      mounted.push(pins[kind]);
    }
    returnToSaved(sys, saved);
    unshared = false;
    return pins;
  } catch (err) {
    let stuck: unknown;
    if (unshared) {
      try {
        returnToSaved(sys, saved);
      } catch (e) {
        stuck = e;
      }
    }
    // The mount namespace never changed, so the pins can be undone even if stuck.
    for (const pin of mounted.reverse()) ignoreErrors(() => sys.umount2(pin, MNT_DETACH));
    for (const pin of created.reverse()) ignoreErrors(() => sys.unlink(pin));
    if (stuck !== undefined) {
      // Sockets and files this thread opens from now on would land in the wrong
      // namespaces; nothing here can fix that, so say so loudly.
      throw new Error("pin namespaces: the JS thread could not return to its own namespaces; restart skiff", {
        cause: new AggregateError([err, stuck], "pin failed, then setns back failed"),
      });
    }
    throw err;
  } finally {
    for (const fd of saved.values()) ignoreErrors(() => sys.close(fd));
  }
}

/** See `Platform.inNetworkNamespace`. */
export function inNetworkNamespace<T>(sys: Pick<NsSys, "openRead" | "close" | "setns">, netnsPath: string, fn: () => T): T {
  const target = sys.openRead(netnsPath);
  let saved: number | undefined;
  try {
    saved = sys.openRead(threadNsPath("net"));
    sys.setns(target, CLONE_NEWNET);
    try {
      return fn();
    } finally {
      try {
        sys.setns(saved, CLONE_NEWNET);
      } catch (err) {
        // Every socket the JS thread made from now on would be the pod's; say so loudly.
        throw new Error("the JS thread could not return to its own network namespace; restart skiff", { cause: err });
      }
    }
  } finally {
    if (saved !== undefined) ignoreErrors(() => sys.close(saved!));
    ignoreErrors(() => sys.close(target));
  }
}

/** See `Platform.readNetDev`. */
export function readNetDev(sys: NsSys, netnsPath: string): string {
  return inNetworkNamespace(sys, netnsPath, () => sys.readFile("/proc/thread-self/net/dev"));
}

/** See `Platform.unpinNamespace`. */
export function unpinNamespace(sys: NsSys, path: string): void {
  // Detach until the path is no longer a mount point (EINVAL), in case it was pinned
  // twice; ENOENT means it is gone already.
  for (let i = 0; i < 8; i++) {
    try {
      sys.umount2(path, MNT_DETACH);
    } catch (err) {
      if (isErrno(err, "EINVAL")) break;
      if (isErrno(err, "ENOENT")) return;
      throw err;
    }
  }
  try {
    sys.unlink(path);
  } catch (err) {
    if (!isErrno(err, "ENOENT")) throw err;
  }
}

function planPins<K extends NamespaceKind>(
  kinds: readonly K[],
  pinPath: (kind: K) => string,
  opts: PinOptions,
): Record<K, string> {
  if (kinds.length === 0) throw new InvalidArgumentError("kinds", "no namespace kinds given");
  if (new Set(kinds).size !== kinds.length) {
    throw new InvalidArgumentError("kinds", `duplicate namespace kind in ${JSON.stringify(kinds)}`);
  }
  for (const kind of kinds) {
    if (!(kind in NAMESPACE_CLONE_FLAG)) throw new InvalidArgumentError("kinds", `unknown namespace kind "${kind}"`);
  }
  // Without a new UTS namespace, sethostname would rename the host.
  if (opts.hostname !== undefined && !kinds.includes("uts" as K)) {
    throw new InvalidArgumentError("opts.hostname", 'a hostname needs the "uts" namespace');
  }
  // Likewise a sysctl of a namespace not made here would be the host's.
  for (const s of opts.sysctls ?? []) {
    if (!kinds.includes(s.kind as K)) throw new InvalidArgumentError("opts.sysctls", `sysctl "${s.path}" needs a new "${s.kind}" namespace`);
    if (s.path.startsWith("/") || s.path.split("/").some((part) => part === "" || part === "." || part === "..")) {
      throw new InvalidArgumentError("opts.sysctls", `"${s.path}" is not a path under /proc/sys`);
    }
  }
  const pins = {} as Record<K, string>;
  for (const kind of kinds) pins[kind] = pinPath(kind);
  if (new Set(Object.values(pins)).size !== kinds.length) {
    throw new InvalidArgumentError("pinPath", "two namespace kinds map to the same pin path");
  }
  return pins;
}

/** setns(2) back into every saved namespace; tries them all, then throws the first error. */
function returnToSaved<K extends NamespaceKind>(sys: NsSys, saved: Map<K, number>): void {
  let first: unknown;
  for (const [kind, fd] of saved) {
    try {
      sys.setns(fd, NAMESPACE_CLONE_FLAG[kind]);
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof SyscallError && err.code === code;
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // Best effort: this runs while undoing after an earlier, reported error.
  }
}
