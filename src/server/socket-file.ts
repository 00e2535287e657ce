import * as fs from "node:fs/promises";
import * as net from "node:net";
import * as path from "node:path";
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";

/** Resolves once we know whether something accepts connections on the socket. */
function probe(socketPath: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // a server too busy to accept is still a server
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/**
 * Makes `socketPath` ready to listen on: creates its directory (0711), removes a stale
 * socket a crashed skiff left behind, and refuses when a live server answers there or
 * the path is something other than a socket.
 */
export async function prepareSocketPath(socketPath: string): Promise<void> {
  await fs.mkdir(path.dirname(socketPath), { recursive: true, mode: 0o711 });
  const st = await fs.lstat(socketPath).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  if (!st) return;
  if (!st.isSocket()) {
    throw new FailedPreconditionError(`"${socketPath}" exists and is not a socket; refusing to replace it`);
  }
  if (await probe(socketPath)) {
    throw new FailedPreconditionError(`another server is already listening on "${socketPath}"`);
  }
  await fs.unlink(socketPath);
}

/** Looks up a group by name in /etc/group; numeric strings are taken as gids. */
export async function resolveGroup(group: string, groupFile = "/etc/group"): Promise<number> {
  if (/^\d+$/.test(group)) return Number(group);
  const text = await fs.readFile(groupFile, "utf8").catch(() => "");
  for (const line of text.split("\n")) {
    const [name, , gid] = line.split(":");
    if (name === group && gid !== undefined && /^\d+$/.test(gid)) return Number(gid);
  }
  throw new InvalidArgumentError("server.socket_group", `group "${group}" not found in ${groupFile}`);
}

/** Applies the configured mode and group to a freshly bound socket. */
export async function applySocketPermissions(socketPath: string, mode: number, group: string): Promise<void> {
  await fs.chmod(socketPath, mode);
  if (group !== "") await fs.chown(socketPath, process.getuid?.() ?? 0, await resolveGroup(group));
}

/** sun_path holds 108 bytes, the terminating NUL included. */
const MAX_SOCKET_PATH = 107;

/**
 * Binds the socket where nobody else can reach it yet (a fresh 0700 dir beside
 * `socketPath`), gives it its mode and group, and only then renames it into place: a
 * socket bound in place would sit there with the umask's mode until the chmod, open to
 * any local user for that moment when the umask is loose. Where the hidden path would be
 * too long for a unix socket, it binds in place (then the socket dir's 0711 and the
 * umask are what guard that moment).
 */
export async function bindSocketPrivately(socketPath: string, mode: number, group: string, bind: (p: string) => Promise<void>): Promise<void> {
  const hideout = await fs.mkdtemp(path.join(path.dirname(socketPath), ".skiff-"));
  const hidden = path.join(hideout, "s");
  try {
    if (Buffer.byteLength(hidden) > MAX_SOCKET_PATH) {
      await bind(socketPath);
      await applySocketPermissions(socketPath, mode, group);
      return;
    }
    await bind(hidden);
    await applySocketPermissions(hidden, mode, group);
    await fs.rename(hidden, socketPath);
  } finally {
    await fs.rm(hideout, { recursive: true, force: true });
  }
}
