/**
 * The images the conformance suite runs, built here from the host's static busybox and
 * catatonit and pushed to the test registry (test/support/registry.ts):
 *
 * - `busybox`: the pod busybox image (test/support/pod-images.ts), Cmd ["sh"].
 * - `pause`: catatonit as containerd's `sandbox_image`.
 * - `users`: busybox whose /etc/passwd has `user-in-image` (uid 1000, gid 1000) and whose
 *   /etc/group makes that user a member of group 50000, with `User: "1000"`; the layout
 *   Kubernetes' SupplementalGroupsPolicy e2e tests use. It also has the applets that need
 *   a capability (chown, mknod), for capability cases.
 * - `named`: the same rootfs with `User: "user-in-image"` (a name, not a number).
 * - `entry`: the same rootfs run as root with `Entrypoint: ["sleep"]`, `Cmd: ["1000"]`, and
 *   `WorkingDir: "/tmp"`, for how command and args combine with the image's.
 */
import { type BuiltImage, buildImage, pushImage } from "../../support/images.ts";
import { busyboxLayer, layerBlob } from "../../support/layers.ts";
import { POD_BUSYBOX_APPLETS, hostArchitecture, pushPodImages } from "../../support/pod-images.ts";

export const USER_IN_IMAGE = { name: "user-in-image", uid: 1000, gid: 1000, extraGroup: 50000 } as const;

export type ConformanceImages = {
  busybox: string;
  pause: string;
  users: string;
  named: string;
  entry: string;
  /** The `users` image as built, for its digests. */
  usersImage: BuiltImage;
  busyboxImage: BuiltImage;
};

function usersRootfs() {
  const mtime = 1_700_000_000;
  const file = (name: string, data: string) => ({ name, data, mode: 0o644, mtime });
  const u = USER_IN_IMAGE;
  return layerBlob(
    busyboxLayer({
      applets: [...POD_BUSYBOX_APPLETS, "chown", "mknod"],
      extra: [
        file("etc/passwd", `root:x:0:0:root:/root:/bin/sh\n${u.name}:x:${u.uid}:${u.gid}::/tmp:/bin/sh\n`),
        file("etc/group", `root:x:0:\n${u.name}:x:${u.gid}:\ngroup-in-image:x:${u.extraGroup}:${u.name}\n`),
      ],
    }),
  );
}

/** Builds every image and pushes it to the plain-HTTP registry at `host`. */
export async function pushConformanceImages(host: string): Promise<ConformanceImages> {
  const pod = await pushPodImages(host);
  const layer = usersRootfs();
  const config = { architecture: hostArchitecture(), env: ["PATH=/bin"], cmd: ["sh"] };
  const usersImage = buildImage([layer], { ...config, user: String(USER_IN_IMAGE.uid) });
  const namedImage = buildImage([layer], { ...config, user: USER_IN_IMAGE.name });
  const entryImage = buildImage([layer], { ...config, entrypoint: ["sleep"], cmd: ["1000"], workingDir: "/tmp" });
  await pushImage(host, "conformance/users", usersImage, "v1");
  await pushImage(host, "conformance/named", namedImage, "v1");
  await pushImage(host, "conformance/entry", entryImage, "v1");
  return {
    busybox: pod.busybox,
    pause: pod.pause,
    users: `${host}/conformance/users:v1`,
    named: `${host}/conformance/named:v1`,
    entry: `${host}/conformance/entry:v1`,
    usersImage,
    busyboxImage: pod.busyboxImage,
  };
}
