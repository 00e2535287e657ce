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
