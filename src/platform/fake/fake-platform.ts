/**
 * A `Platform` for unit tests, in the spirit of containerd's pkg/os/testing FakeOS: every
 * call is recorded (failed ones too), errors can be injected per op, and behaviour can be
 * overridden per op. Tests then assert what *would* have been mounted.
 *
 * Pins: by default `pinNamespaces` touches no files; it keeps pins in memory (`pins`) and
 * fails with EEXIST for a path that is already pinned, like the real one. Pass
 * `{ writePinFiles: true }` to also create empty pin files (and their parent directories)
 * for code under test that looks at the filesystem; `unpinNamespace` then removes them.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { InvalidArgumentError, SyscallError } from "../../errors.ts";
import { TMPFS_MAGIC } from "../constants.ts";
import type { ClockSync, NamespaceKind, PinOptions, Platform, PlatformOp, StatFs } from "../types.ts";

/** What the call log holds for each op: its arguments, except for `pinNamespaces`. */
export type FakeCallArgs = {
  [O in PlatformOp]: O extends "pinNamespaces"
    ? // The pin paths that `pinPath` gave, rather than the function itself.
      [kinds: NamespaceKind[], pins: Partial<Record<NamespaceKind, string>>, opts: PinOptions]
    : Parameters<Platform[O]>;
};

export type FakeCall = { [O in PlatformOp]: { op: O; args: FakeCallArgs[O] } }[PlatformOp];

export interface FakePin {
  kind: NamespaceKind;
  /** The hostname given for the pin's UTS namespace. */
  hostname?: string;
}

export interface FakePlatformOptions {
  os?: Platform["os"];
  writePinFiles?: boolean;
}

export interface InjectOptions {
  /** Fail this many calls, then succeed again. Default: every call until `clearErrors`. */
  times?: number;
}

type ErrorSource = Error | ((...args: unknown[]) => Error);

/** A statfs answer for an empty 64 MiB tmpfs. */
export const FAKE_STATFS: Readonly<StatFs> = {
  type: TMPFS_MAGIC,
  blockSize: 4096,
  blocks: 16384,
  bfree: 16384,
  bavail: 16384,
  files: 65536,
  ffree: 65535,
};

export class FakePlatform implements Platform {
  readonly os: Platform["os"];
  /** Every call, in order, including calls that threw. */
  readonly calls: FakeCall[] = [];
  /** Namespaces pinned and not yet unpinned, by pin path. */
  readonly pins = new Map<string, FakePin>();
  /** What `statfs` returns (unless overridden with `on("statfs", ...)`). */
  statfsResult: StatFs | ((path: string) => StatFs) = { ...FAKE_STATFS };
  /** What `clockSync` returns. */
  clockResult: ClockSync = { synchronized: true, maxErrorUs: 16_000 };

  readonly #writePinFiles: boolean;
  readonly #errors = new Map<PlatformOp, { source: ErrorSource; left: number }[]>();
  readonly #overrides = new Map<PlatformOp, (...args: never[]) => unknown>();

  constructor(opts: FakePlatformOptions = {}) {
    this.os = opts.os ?? "linux";
    this.#writePinFiles = opts.writePinFiles ?? false;
  }

  /** The arguments of each recorded call of `op`, in order. */
  callsOf<O extends PlatformOp>(op: O): FakeCallArgs[O][] {
    return this.calls.filter((c) => c.op === op).map((c) => c.args as FakeCallArgs[O]);
  }

  /** Makes calls of `op` throw `err` (or what `err(...args)` returns). Queued injections run in order. */
  injectError(op: PlatformOp, err: ErrorSource, opts: InjectOptions = {}): this {
    const queue = this.#errors.get(op) ?? [];
    queue.push({ source: err, left: opts.times ?? Number.POSITIVE_INFINITY });
    this.#errors.set(op, queue);
    return this;
  }

  /** Replaces the fake's behaviour for `op` (after recording and error injection). */
  on<O extends Exclude<PlatformOp, "pinNamespaces">>(op: O, impl: Platform[O]): this {
    this.#overrides.set(op, impl as (...args: never[]) => unknown);
    return this;
  }

  clearErrors(): void {
    this.#errors.clear();
  }

  /** Forgets the call log; injections, overrides and pins stay. */
  clearCalls(): void {
    this.calls.length = 0;
  }

  mount(source: string | null, target: string, fstype: string | null, flags: number, data?: string): void {
    this.#call("mount", [source, target, fstype, flags, data]);
  }
  umount2(target: string, flags: number): void {
    this.#call("umount2", [target, flags]);
  }
  unshare(flags: number): void {
    this.#call("unshare", [flags]);
  }
  setns(fd: number, nstype: number): void {
    this.#call("setns", [fd, nstype]);
  }
  sethostname(name: string): void {
    this.#call("sethostname", [name]);
  }
  statfs(path: string): StatFs {
    return this.#call("statfs", [path], () => {
      const r = this.statfsResult;
      return { ...(typeof r === "function" ? r(path) : r) };
    });
  }
  mknod(path: string, mode: number, dev: number | bigint): void {
    this.#call("mknod", [path, mode, dev]);
  }
  lchown(path: string, uid: number, gid: number): void {
    this.#call("lchown", [path, uid, gid]);
  }
  lsetxattr(path: string, name: string, value: Uint8Array, flags: number): void {
    this.#call("lsetxattr", [path, name, value, flags]);
  }
  clockSync(): ClockSync {
    return this.#call("clockSync", [], () => ({ ...this.clockResult }));
  }
  /** Nothing to unmap in a fake: the call is logged and 0 KiB released. */
  releaseCodePages(): number {
    return this.#call("releaseCodePages", [], () => 0);
  }

  pinNamespaces<K extends NamespaceKind>(
    kinds: readonly K[],
    pinPath: (kind: K) => string,
    opts: PinOptions = {},
  ): Record<K, string> {
    const pins = {} as Record<K, string>;
    for (const kind of kinds) pins[kind] = pinPath(kind);
    this.#record("pinNamespaces", [[...kinds], { ...pins }, { ...opts }]);
    if (opts.hostname !== undefined && !kinds.includes("uts" as K)) {
      throw new InvalidArgumentError("opts.hostname", 'a hostname needs the "uts" namespace');
    }
    for (const s of opts.sysctls ?? []) {
      if (!kinds.includes(s.kind as K)) throw new InvalidArgumentError("opts.sysctls", `sysctl "${s.path}" needs a new "${s.kind}" namespace`);
    }
    for (const kind of kinds) {
      if (this.pins.has(pins[kind])) throw new SyscallError("open", 17, "EEXIST", pins[kind], "file exists");
    }
    for (const kind of kinds) {
      const path = pins[kind];
      this.pins.set(path, kind === "uts" && opts.hostname !== undefined ? { kind, hostname: opts.hostname } : { kind });
      if (this.#writePinFiles) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, "");
      }
    }
    return pins;
  }

  /** Records the call and runs `fn` (there is no namespace to enter). */
  inNetworkNamespace<T>(nsPath: string, fn: () => T): T {
    this.#record("inNetworkNamespace", [nsPath, fn]);
    return fn();
  }

  /** Answers with an override's fd; without one, as if nothing listened at `path`. */
  connectSeqpacket(path: string): number {
    return this.#call("connectSeqpacket", [path], () => {
      throw new SyscallError("connect", 2, "ENOENT", path, "no such file or directory");
    });
  }

  unpinNamespace(path: string): void {
    this.#call("unpinNamespace", [path], () => {
      this.pins.delete(path);
      if (this.#writePinFiles) rmSync(path, { force: true });
    });
  }

  /** What `readNetDev` returns (unless overridden with `on("readNetDev", ...)`): no interfaces but `lo`. */
  netDevText = "Inter-|   Receive\n face |bytes\n    lo: 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

  readNetDev(netnsPath: string): string {
    return this.#call("readNetDev", [netnsPath], () => this.netDevText);
  }

  /** Records the call, throws an injected error if one is due, else runs the override or `fallback`. */
  #call<O extends Exclude<PlatformOp, "pinNamespaces">, R>(op: O, args: FakeCallArgs[O], fallback?: () => R): R {
    this.#record(op, args);
    const override = this.#overrides.get(op);
    if (override) return (override as (...a: unknown[]) => R)(...args);
    return fallback ? fallback() : (undefined as R);
  }

  #record<O extends PlatformOp>(op: O, args: FakeCallArgs[O]): void {
    this.calls.push({ op, args } as FakeCall);
    const queue = this.#errors.get(op);
    const due = queue?.find((e) => e.left > 0);
    if (!due) return;
    due.left--;
    throw typeof due.source === "function" ? due.source(...args) : due.source;
  }
}
