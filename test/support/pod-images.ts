/**
 * The two images pod tests and the pod benchmark run, built on the spot from host
 * binaries and pushed to a local test registry (see registry.ts), so no test pulls
 * from the internet:
 *
 * - `busybox`: the host's static busybox with applet symlinks in /bin; Cmd ["sh"].
 * - `pause`: the host's static catatonit as /catatonit, entrypoint ["/catatonit", "-P"]
 *   (its pause mode: sleep until SIGTERM/SIGINT, then exit 0), for containerd's
 *   `sandbox_image` or skiff's infra container.
 */
import { existsSync, readFileSync } from "node:fs";
import { type BuiltImage, buildImage, pushImage } from "./images.ts";
import { DEFAULT_APPLETS, busyboxLayer, layerBlob } from "./layers.ts";
import { tar } from "./tar-writer.ts";

/** Applets the pod busybox image links, beyond the layer defaults: networking and sleepers. */
export const POD_BUSYBOX_APPLETS = [
  ...DEFAULT_APPLETS,
  "httpd", "ping", "ip", "ifconfig", "nslookup", "tail", "tee", "seq", "printf", "test", "[", "sync", "yes",
  "stty", "tty", "md5sum", "dd",
  // what critest's specs run (test/integration/critest/)
  "top", "brctl", "netstat", "pidof", "chmod",
] as const;

export const CATATONIT_PATH = "/usr/bin/catatonit";

/** The OCI architecture name of this host, so the images run here. */
export function hostArchitecture(): string {
  return process.arch === "x64" ? "amd64" : process.arch;
}

/**
 * busybox with the pod applets; Cmd ["sh"], PATH=/bin. Its /etc/group also makes
 * `nobody` a member of group 4242, so supplemental groups from the image can be seen.
 */
export function podBusyboxImage(): BuiltImage {
  const group = { name: "etc/group", data: "root:x:0:\nnobody:x:65534:\nextra:x:4242:nobody\n", mode: 0o644, mtime: 1_700_000_000 };
  return buildImage([layerBlob(busyboxLayer({ applets: POD_BUSYBOX_APPLETS, extra: [group] }))], {
    architecture: hostArchitecture(),
    env: ["PATH=/bin"],
    cmd: ["sh"],
  });
}

/** A one-file image: the host's catatonit, run as a pause process. */
export function pauseImage(): BuiltImage {
  if (!existsSync(CATATONIT_PATH)) throw new Error(`${CATATONIT_PATH} not found: apt-get install -y catatonit`);
  const mtime = 1_700_000_000;
  const layer = tar(
    [
      { name: "./", type: "dir", mode: 0o755, mtime },
      { name: "catatonit", data: new Uint8Array(readFileSync(CATATONIT_PATH)), mode: 0o755, mtime },
      { name: "dev/", type: "dir", mode: 0o755, mtime },
      { name: "etc/", type: "dir", mode: 0o755, mtime },
      { name: "proc/", type: "dir", mode: 0o755, mtime },
      { name: "sys/", type: "dir", mode: 0o755, mtime },
    ],
    { recordSize: 10240 },
  );
  return buildImage([layerBlob(layer)], {
    architecture: hostArchitecture(),
    env: ["PATH=/"],
    entrypoint: ["/catatonit", "-P"],
    cmd: [],
  });
}

export type PodImages = {
  /** `<registry>/library/busybox:latest` */
  busybox: string;
  /** `<registry>/library/pause:3.9` */
  pause: string;
  busyboxImage: BuiltImage;
  pauseImage: BuiltImage;
};

/** Builds both images and pushes them to the registry at `registryHost` (plain HTTP). */
export async function pushPodImages(registryHost: string): Promise<PodImages> {
  const busyboxImage = podBusyboxImage();
  const pause = pauseImage();
  await pushImage(registryHost, "library/busybox", busyboxImage, "latest");
  await pushImage(registryHost, "library/pause", pause, "3.9");
  return {
    busybox: `${registryHost}/library/busybox:latest`,
    pause: `${registryHost}/library/pause:3.9`,
    busyboxImage,
    pauseImage: pause,
  };
}
