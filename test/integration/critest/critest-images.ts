/**
 * Stand-ins for the images critest pulls from registry.k8s.io, built here on top of the
 * pod busybox image (test/support/pod-images.ts) and pushed to the test registry:
 *
 * - `web`: critest's nginx and httpd. busybox `httpd` serving /www (an index page) on
 *   port 80 as pid 1 of its command; it first writes its pid to /var/run/httpd.pid (as
 *   nginx does) and says "httpd listening" on stdout (Apache's httpd logs its name).
 * - `hostWeb`: critest's hostnet-nginx: the same server on `hostPort` instead of 80, for a
 *   host-network pod.
 * - `hardlinks`: docker's busybox keeps its applets as hard links; runc masks a path by
 *   mounting over the file the path resolves to, so a masked /bin/ls must be a file of
 *   its own, not a symlink to busybox.
 * - `noNewPrivs`: critest's nonewprivs: as any user it prints `Effective uid: N`, N
 *   from a setuid-root program (the host's coreutils `id`, with the libraries it links,
 *   since busybox drops a setuid bit itself).
 * - `user*`: one image per form of the config's User that ImageStatus must read.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type BuiltImage, buildImage, pushImage } from "../../support/images.ts";
import { busyboxLayer, layerBlob } from "../../support/layers.ts";
import { POD_BUSYBOX_APPLETS, hostArchitecture, podBusyboxImage } from "../../support/pod-images.ts";
import type { TarEntrySpec } from "../../support/tar-writer.ts";
import { tar } from "../../support/tar-writer.ts";

const mtime = 1_700_000_000;
const dir = (name: string): TarEntrySpec => ({ name, type: "dir", mode: 0o755, mtime });
const file = (name: string, data: string | Uint8Array, mode = 0o644): TarEntrySpec => ({ name, data, mode, mtime });

let base: BuiltImage | undefined;

/** The pod busybox image with one more layer holding `entries`, and its own config. */
function onBusybox(entries: TarEntrySpec[], config: { cmd?: string[]; user?: string; salt?: string }): BuiltImage {
  base ??= podBusyboxImage();
  const extra = entries.length > 0 ? [layerBlob(tar([dir("./"), ...entries], { recordSize: 10240 }))] : [];
  return buildImage([...base.layers, ...extra], { architecture: hostArchitecture(), env: ["PATH=/bin"], cmd: config.cmd ?? ["sh"], user: config.user, salt: config.salt });
}

/** busybox httpd on `port` as the command's pid 1, after writing its pid and a line to the log. */
function webServer(port: number): BuiltImage {
  const script = `echo $$ > /var/run/httpd.pid; echo "httpd listening on :${port}"; exec httpd -f -p ${port} -h /www`;
  return onBusybox([dir("www/"), file("www/index.html", "<h1>critest stand-in</h1>\n"), dir("var/run/")], { cmd: ["sh", "-c", script] });
}

/** The files of a host program and of every library `ldd` says it loads, at their host paths. */
function hostProgram(program: string, as: string, mode: number): TarEntrySpec[] {
  const ldd = Bun.spawnSync(["ldd", program], { stdout: "pipe" }).stdout.toString();
  const libs = [...ldd.matchAll(/(\/\S+) \(0x/g)].map((m) => m[1]!);
  const entries: TarEntrySpec[] = [];
  const dirs = new Set<string>();
  const addDirs = (p: string) => {
    const parts = path.dirname(p).split("/").filter(Boolean);
    for (let i = 1; i <= parts.length; i++) dirs.add(`${parts.slice(0, i).join("/")}/`);
  };
  for (const lib of libs) {
    // the loader's path (/lib64/...) is a symlink on Debian: keep it one, and ship its target
    const real = fs.realpathSync(lib);
    addDirs(lib);
    addDirs(real);
    if (real !== lib) entries.push({ name: lib.slice(1), type: "symlink", linkname: real, mode: 0o777, mtime });
    entries.push(file(real.slice(1), new Uint8Array(fs.readFileSync(real)), 0o755));
  }
  addDirs(as);
  entries.push(file(as.slice(1), new Uint8Array(fs.readFileSync(program)), mode));
  const unique = [...new Map(entries.map((e) => [e.name, e])).values()];
  return [...[...dirs].filter((d) => d !== "bin/").sort().map(dir), ...unique];
}

export type CritestImages = {
  web: string;
  hostWeb: string;
  hardlinks: string;
  noNewPrivs: string;
  /** User "1002", "www-data", "1003:users", "www-data:users". */
  userUid: string;
  userName: string;
  userUidGroup: string;
  userNameGroup: string;
};

export type CritestImageName = keyof CritestImages;

/** The stand-ins' builders, by name. */
function builders(hostPort: number): Record<CritestImageName, () => BuiltImage> {
  const euid = "/usr/local/bin/setuid-id";
  return {
    web: () => webServer(80),
    hostWeb: () => webServer(hostPort),
    hardlinks: () =>
      buildImage(
        [layerBlob(busyboxLayer({ applets: POD_BUSYBOX_APPLETS.filter((a) => a !== "ls"), extra: [{ name: "bin/ls", type: "link", linkname: "bin/busybox", mtime }] }))],
        { architecture: hostArchitecture(), env: ["PATH=/bin"], cmd: ["sh"] },
      ),
    noNewPrivs: () => onBusybox(hostProgram("/usr/bin/id", euid, 0o4755), { cmd: ["sh", "-c", `echo "Effective uid: $(${euid} -u)"`] }),
    userUid: () => onBusybox([], { user: "1002", salt: "uid" }),
    userName: () => onBusybox([], { user: "www-data", salt: "name" }),
    userUidGroup: () => onBusybox([], { user: "1003:users", salt: "uid-group" }),
    userNameGroup: () => onBusybox([], { user: "www-data:users", salt: "name-group" }),
  };
}

/**
 * Builds the stand-ins `names` and pushes them to the plain-HTTP registry at `host`; the
 * refs of the others are given too, but name nothing the registry has.
 */
export async function pushCritestImages(host: string, hostPort: number, names: readonly CritestImageName[]): Promise<CritestImages> {
  const build = builders(hostPort);
  const refs = {} as CritestImages;
  for (const name of Object.keys(build) as CritestImageName[]) {
    const repo = `critest/${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    refs[name] = `${host}/${repo}:1`;
    if (names.includes(name)) await pushImage(host, repo, build[name](), "1");
  }
  return refs;
}
