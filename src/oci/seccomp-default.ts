/**
 * skiff's built-in seccomp profile (CRI `RuntimeDefault`): deny by default with EPERM,
 * allow what ordinary programs use, and allow the calls that only make sense with a
 * capability when the container holds that capability.
 *
 * Why a deny-list of "everything not named": new syscalls the kernel grows are refused
 * until someone looks at them, which is what a default for untrusted workloads should do.
 * Names a given kernel or architecture does not know are skipped by runc/crun (they
 * resolve each name with libseccomp and ignore unknown ones), so one list serves every
 * architecture skiff ships for.
 *
 * Facts used: syscall names (man 2 syscalls), the clone(2) namespace flags and the
 * personality(2) values; the grouping and the choices are skiff's own.
 */
import type { Seccomp, SeccompSyscall } from "./spec.ts";

export const SCMP_ACT_ALLOW = "SCMP_ACT_ALLOW";
export const SCMP_ACT_ERRNO = "SCMP_ACT_ERRNO";
export const EPERM = 1;
export const ENOSYS = 38;

/** The seccomp architectures of each Go/OCI architecture name: native first, then 32-bit companions. */
export const SECCOMP_ARCHES: Readonly<Record<string, readonly string[]>> = {
  amd64: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  arm64: ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"],
};

const FILES = [
  "access", "faccessat", "faccessat2", "chdir", "fchdir", "getcwd",
  "chmod", "fchmod", "fchmodat", "fchmodat2",
  "chown", "fchown", "fchownat", "lchown", "chown32", "fchown32", "lchown32",
  "open", "openat", "openat2", "creat", "close", "close_range",
  "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev", "pwritev2",
  "lseek", "_llseek", "sendfile", "sendfile64", "splice", "tee", "vmsplice", "copy_file_range",
  "dup", "dup2", "dup3", "fcntl", "fcntl64", "flock", "ioctl",
  "fadvise64", "fadvise64_64", "arm_fadvise64_64", "fallocate", "readahead",
  "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "sync_file_range2", "arm_sync_file_range",
  "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat64", "newfstatat", "statx",
  "statfs", "statfs64", "fstatfs", "fstatfs64",
  "truncate", "truncate64", "ftruncate", "ftruncate64",
  "getdents", "getdents64", "mkdir", "mkdirat", "rmdir", "mknod", "mknodat",
  "link", "linkat", "unlink", "unlinkat", "symlink", "symlinkat", "readlink", "readlinkat",
  "rename", "renameat", "renameat2", "umask",
  "utime", "utimes", "utimensat", "utimensat_time64", "futimesat",
  "getxattr", "lgetxattr", "fgetxattr", "setxattr", "lsetxattr", "fsetxattr",
  "listxattr", "llistxattr", "flistxattr", "removexattr", "lremovexattr", "fremovexattr",
  "name_to_handle_at", "memfd_create",
  "inotify_init", "inotify_init1", "inotify_add_watch", "inotify_rm_watch", "fanotify_mark",
];

const WAITING = [
  "pipe", "pipe2", "select", "_newselect", "pselect6", "pselect6_time64", "poll", "ppoll", "ppoll_time64",
  "epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_wait", "epoll_wait_old", "epoll_pwait", "epoll_pwait2",
  "eventfd", "eventfd2", "signalfd", "signalfd4",
  "timerfd_create", "timerfd_settime", "timerfd_settime64", "timerfd_gettime", "timerfd_gettime64",
  "io_setup", "io_destroy", "io_submit", "io_cancel", "io_getevents", "io_pgetevents", "io_pgetevents_time64",
  "futex", "futex_time64", "futex_waitv", "set_robust_list", "get_robust_list",
];

const MEMORY = [
  "brk", "mmap", "mmap2", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "remap_file_pages",
  "mlock", "mlock2", "mlockall", "munlock", "munlockall", "membarrier",
  "pkey_alloc", "pkey_free", "pkey_mprotect",
];

const PROCESSES = [
  "execve", "execveat", "fork", "vfork", "exit", "exit_group", "wait4", "waitid", "waitpid", "restart_syscall",
  "getpid", "getppid", "gettid", "getpgid", "getpgrp", "setpgid", "getsid", "setsid", "set_tid_address",
  "getuid", "geteuid", "getgid", "getegid", "getuid32", "geteuid32", "getgid32", "getegid32",
  "getresuid", "getresgid", "getresuid32", "getresgid32", "getgroups", "getgroups32",
  // Changing ids is governed by CAP_SETUID/CAP_SETGID, which the kernel checks itself.
  "setuid", "setuid32", "setgid", "setgid32", "setreuid", "setreuid32", "setregid", "setregid32",
  "setresuid", "setresuid32", "setresgid", "setresgid32", "setfsuid", "setfsuid32", "setfsgid", "setfsgid32",
  "setgroups", "setgroups32", "capget", "capset", "prctl", "arch_prctl", "modify_ldt",
  "get_thread_area", "set_thread_area", "set_tls", "cacheflush", "breakpoint", "rseq",
  "getpriority", "setpriority", "getrlimit", "setrlimit", "ugetrlimit", "prlimit64", "getrusage", "times",
  "sched_yield", "sched_getaffinity", "sched_setaffinity", "sched_getattr", "sched_setattr",
  "sched_getparam", "sched_setparam", "sched_getscheduler", "sched_setscheduler",
  "sched_get_priority_max", "sched_get_priority_min", "sched_rr_get_interval", "sched_rr_get_interval_time64",
  "ioprio_get", "ioprio_set", "getcpu", "uname", "sysinfo", "getrandom",
  "kill", "tkill", "tgkill", "pidfd_open", "pidfd_send_signal", "pidfd_getfd",
  // Tracing one's own processes: the kernel's ptrace access checks apply (safe since 4.8).
  "ptrace", "kcmp", "process_vm_readv", "process_vm_writev", "process_madvise",
  "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self",
];

const SIGNALS_AND_TIME = [
  "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend", "rt_sigpending", "rt_sigqueueinfo",
  "rt_tgsigqueueinfo", "rt_sigtimedwait", "rt_sigtimedwait_time64",
  "sigaction", "sigprocmask", "sigreturn", "sigsuspend", "sigpending", "sigaltstack", "signal", "pause", "alarm",
  "nanosleep", "clock_nanosleep", "clock_nanosleep_time64", "getitimer", "setitimer",
  "timer_create", "timer_delete", "timer_gettime", "timer_gettime64", "timer_settime", "timer_settime64", "timer_getoverrun",
  "clock_getres", "clock_getres_time64", "clock_gettime", "clock_gettime64", "gettimeofday", "time",
];

const NETWORK_AND_IPC = [
  "socket", "socketpair", "socketcall", "bind", "connect", "listen", "accept", "accept4", "shutdown",
  "getsockname", "getpeername", "getsockopt", "setsockopt",
  "send", "sendto", "sendmsg", "sendmmsg", "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64",
  "ipc", "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semctl", "semtimedop", "semtimedop_time64",
  "msgget", "msgsnd", "msgrcv", "msgctl",
  "mq_open", "mq_unlink", "mq_timedsend", "mq_timedsend_time64", "mq_timedreceive", "mq_timedreceive_time64",
  "mq_notify", "mq_getsetattr",
];

/**
 * Calls allowed only with a capability: without it the kernel would refuse them anyway,
 * but they are large attack surface (mounts, namespaces, BPF, modules), so a container
 * that was not given the capability does not get to reach that code at all.
 */
export const CAPABILITY_SYSCALLS: Readonly<Record<string, readonly string[]>> = {
  CAP_SYS_ADMIN: [
    "mount", "mount_setattr", "umount", "umount2", "pivot_root", "move_mount", "open_tree",
    "fsopen", "fsconfig", "fsmount", "fspick", "unshare", "setns", "sethostname", "setdomainname",
    "quotactl", "quotactl_fd", "lookup_dcookie", "fanotify_init", "bpf", "perf_event_open", "syslog",
    "clone", "clone3",
  ],
  CAP_SYS_BOOT: ["reboot"],
  CAP_SYS_CHROOT: ["chroot"],
  CAP_SYS_MODULE: ["init_module", "finit_module", "delete_module"],
  CAP_SYS_PACCT: ["acct"],
  CAP_SYS_RAWIO: ["iopl", "ioperm"],
  CAP_SYS_TIME: ["settimeofday", "stime", "clock_settime", "clock_settime64", "adjtimex", "clock_adjtime", "clock_adjtime64"],
  CAP_SYS_TTY_CONFIG: ["vhangup"],
  CAP_SYS_NICE: ["get_mempolicy", "set_mempolicy", "set_mempolicy_home_node", "mbind"],
  CAP_SYSLOG: ["syslog"],
  CAP_BPF: ["bpf"],
  CAP_PERFMON: ["perf_event_open"],
  CAP_DAC_READ_SEARCH: ["open_by_handle_at"],
};

/** Every `CLONE_NEW*` flag: clone(2) with none of them only makes a thread or a process. */
export const CLONE_NAMESPACE_FLAGS =
  0x00020000 | // CLONE_NEWNS
  0x02000000 | // CLONE_NEWCGROUP
  0x04000000 | // CLONE_NEWUTS
  0x08000000 | // CLONE_NEWIPC
  0x10000000 | // CLONE_NEWUSER
  0x20000000 | // CLONE_NEWPID
  0x40000000; // CLONE_NEWNET

/** personality(2) values that only change what uname reports or the 32-bit ABI; 0xffffffff queries. */
const SAFE_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffffffff];

export type DefaultSeccompOptions = {
  /** The container's bounding capabilities (`CAP_*`). */
  capabilities?: readonly string[];
  /** The host's architecture as Go/OCI names it (`amd64`, `arm64`); both when unknown. */
  arch?: string;
};

/** The architectures a profile for `arch` lists: that arch's set, or every set skiff knows. */
export function seccompArchitectures(arch: string | undefined): string[] {
  const known = arch === undefined ? undefined : SECCOMP_ARCHES[arch];
  return known ? [...known] : Object.values(SECCOMP_ARCHES).flat();
}

/**
 * skiff's `RuntimeDefault` profile for a container holding `capabilities`. A fresh object
 * each call, so a caller may change it freely.
 */
export function defaultSeccompProfile(opts: DefaultSeccompOptions = {}): Seccomp {
  const caps = new Set(opts.capabilities ?? []);
  const allowed = [...FILES, ...WAITING, ...MEMORY, ...PROCESSES, ...SIGNALS_AND_TIME, ...NETWORK_AND_IPC];
  for (const [cap, names] of Object.entries(CAPABILITY_SYSCALLS)) if (caps.has(cap)) allowed.push(...names);
  const syscalls: SeccompSyscall[] = [{ names: [...new Set(allowed)].sort(), action: SCMP_ACT_ALLOW }];
  // One rule per value: libseccomp ANDs the conditions within a rule.
  for (const value of SAFE_PERSONALITIES) {
    syscalls.push({ names: ["personality"], action: SCMP_ACT_ALLOW, args: [{ index: 0, value, op: "SCMP_CMP_EQ" }] });
  }
  if (!caps.has("CAP_SYS_ADMIN")) {
    // Threads and plain forks, but no new namespaces (flags are argument 0 on x86 and arm).
    syscalls.push({
      names: ["clone"],
      action: SCMP_ACT_ALLOW,
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: "SCMP_CMP_MASKED_EQ" }],
    });
    // clone3 takes its flags in a struct seccomp cannot read: ENOSYS makes libc fall back to clone.
    syscalls.push({ names: ["clone3"], action: SCMP_ACT_ERRNO, errnoRet: ENOSYS });
  }
  return {
    defaultAction: SCMP_ACT_ERRNO,
    defaultErrnoRet: EPERM,
    architectures: seccompArchitectures(opts.arch),
    syscalls,
  };
}
