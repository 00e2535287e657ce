/**
 * A socket node:net cannot make: a unix SOCK_SEQPACKET client (conmon's attach socket).
 * Written against a few raw calls so it can be unit-tested without root.
 */
const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
/** struct sockaddr_un: sa_family_t (2 bytes) + sun_path[108]. */
const SUN_PATH_MAX = 108;

export interface SocketSys {
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, addr: Buffer, len: number, path: string): void;
  close(fd: number): void;
}

/** See `Platform.connectSeqpacket`. */
export function connectSeqpacket(sys: SocketSys, path: string): number {
  const bytes = Buffer.from(path, "utf8");
  if (bytes.length >= SUN_PATH_MAX || bytes.includes(0)) throw new Error(`unix socket path ${JSON.stringify(path)} is longer than ${SUN_PATH_MAX - 1} bytes`);
  const addr = Buffer.alloc(2 + SUN_PATH_MAX);
  addr.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(addr, 2);
  const fd = sys.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  try {
    // A unix connect completes at once (or fails with EAGAIN when the backlog is full).
    sys.connect(fd, addr, 2 + bytes.length + 1, path);
  } catch (err) {
    sys.close(fd);
    throw err;
  }
  return fd;
}
