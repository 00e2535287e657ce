/**
 * The ImageService by every reference form a kubelet uses: a tag, the implicit
 * `latest`, a digest, the image id; PullImage's answer, ImageStatus (including "not
 * present", which is no error), ListImages, RemoveImage (every tag of the image goes;
 * idempotent) and ImageFsInfo. Each case pulls images of its own, built here with a
 * label that makes them differ, so removals in one case cannot touch another.
 */
import { type BuiltImage, busyboxImage, pushImage } from "../../support/images.ts";
import { hostArchitecture } from "../../support/pod-images.ts";
import { type Case, codeOf, expect, okOrFailed, refusal, runCases } from "./cases.ts";
import { createContainer, ctrConfig, runPod } from "./kubelet.ts";
import { type Runtime, useRuntimes } from "./runtimes.ts";

const rts = useRuntimes({ pull: () => [] });

const pushed = new Map<string, Promise<{ repo: string; image: BuiltImage }>>();

/** `<registry>/conformance/<name>`, pushed once with `tags`, an image of its own. */
function image(name: string, tags: string[] = ["v1"]) {
  if (!pushed.has(name)) {
    pushed.set(
      name,
      (async () => {
        const img = busyboxImage({ architecture: hostArchitecture(), salt: name });
        const repo = `${rts.registry.host}/conformance/${name}`;
        for (const tag of tags) await pushImage(rts.registry.host, `conformance/${name}`, img, tag);
        return { repo, image: img };
      })(),
    );
  }
  return pushed.get(name)!;
}

const pull = (rt: Runtime, ref: string) => rt.image.call<any>("PullImage", { image: { image: ref } }, 60_000);
const status = async (rt: Runtime, ref: string, verbose = false) => rt.image.call<any>("ImageStatus", { image: { image: ref }, verbose });
const remove = (rt: Runtime, ref: string) => rt.image.call<any>("RemoveImage", { image: { image: ref } }, 60_000);

/** What ImageStatus says of an image, with its id and digests shown by what they are. */
function described(img: any, built: BuiltImage) {
  if (!img) return null;
  return {
    idIsConfigDigest: img.id === built.configDigest,
    repo_tags: [...img.repo_tags].sort(),
    repo_digests: [...img.repo_digests].sort(),
    sizeAtLeastLayers: Number(img.size) >= built.layers.reduce((n, l) => n + l.size, 0),
    pinned: img.pinned,
  };
}

const cases: Case<any>[] = [
  {
    desc: "PullImage by tag answers the image id, and ImageStatus by that tag shows the id, the tag, the repo digest and the size",
    run: async (rt) => {
      const { repo, image: built } = await image("by-tag");
      const r = await pull(rt, `${repo}:v1`);
      return { imageRef: r.image_ref === built.configDigest, status: described((await status(rt, `${repo}:v1`)).image, built) };
    },
    check: (seen) =>
      expect(seen).toEqual({
        imageRef: true,
        status: { idIsConfigDigest: true, repo_tags: [expect.stringMatching(/\/conformance\/by-tag:v1$/)], repo_digests: [expect.stringMatching(/\/conformance\/by-tag@sha256:/)], sizeAtLeastLayers: true, pinned: false },
      }),
  },
  {
    desc: "ImageStatus finds a pulled image by its tag, its digest reference, its id and the id's hex",
    run: async (rt) => {
      const { repo, image: built } = await image("by-every-ref");
      await pull(rt, `${repo}:v1`);
      const idOf = async (ref: string) => ((await status(rt, ref)).image?.id ?? null) === built.configDigest;
      return {
        tag: await idOf(`${repo}:v1`),
        digest: await idOf(`${repo}@${built.manifestDigest}`),
        id: await idOf(built.configDigest),
        hex: await idOf(built.configDigest.slice("sha256:".length)),
      };
    },
    check: (seen) => expect(seen).toEqual({ tag: true, digest: true, id: true, hex: true }),
  },
  {
    desc: "ImageStatus of an image that is not present answers with no image, not an error",
    run: async (rt) => (await status(rt, `${rts.registry.host}/conformance/never-pulled:v1`)).image,
    check: (seen) => expect(seen).toBeNull(),
  },
  {
    desc: "a reference without a tag pulls and finds latest",
    run: async (rt) => {
      const { repo, image: built } = await image("implicit-latest", ["latest"]);
      await pull(rt, repo);
      return { bare: described((await status(rt, repo)).image, built)?.repo_tags, latest: ((await status(rt, `${repo}:latest`)).image?.id ?? null) === built.configDigest };
    },
    check: (seen) => expect(seen).toEqual({ bare: [expect.stringMatching(/\/conformance\/implicit-latest:latest$/)], latest: true }),
  },
  {
    desc: "PullImage by digest records the repo digest and no tag",
    run: async (rt) => {
      const { repo, image: built } = await image("by-digest");
      const ref = `${repo}@${built.manifestDigest}`;
      const r = await pull(rt, ref);
      return { imageRef: r.image_ref === built.configDigest, status: described((await status(rt, ref)).image, built) };
    },
    check: (seen) =>
      expect(seen).toEqual({ imageRef: true, status: { idIsConfigDigest: true, repo_tags: [], repo_digests: [expect.stringMatching(/\/conformance\/by-digest@sha256:/)], sizeAtLeastLayers: true, pinned: false } }),
  },
  {
    desc: "two tags of one image are one image carrying both tags",
    run: async (rt) => {
      const { repo, image: built } = await image("two-tags", ["a", "b"]);
      await pull(rt, `${repo}:a`);
      await pull(rt, `${repo}:b`);
      const listed = (await rt.image.call<any>("ListImages", {})).images.filter((i: any) => i.id === built.configDigest);
      return { count: listed.length, tags: described(listed[0], built)?.repo_tags.map((t: string) => t.split(":").at(-1)) };
    },
    check: (seen) => expect(seen).toEqual({ count: 1, tags: ["a", "b"] }),
  },
  {
    desc: "RemoveImage by the only tag of an image removes the image; removing again succeeds",
    run: async (rt) => {
      const { repo } = await image("remove-by-tag");
      await pull(rt, `${repo}:v1`);
      await remove(rt, `${repo}:v1`);
      return { image: (await status(rt, `${repo}:v1`)).image, again: await codeOf(remove(rt, `${repo}:v1`)) };
    },
    check: (seen) => expect(seen).toEqual({ image: null, again: "OK" }),
  },
  {
    desc: "RemoveImage by one of two tags removes that tag and keeps the image under the other",
    skiffOnly:
      "containerd removes the image with every tag; skiff, as CRI-O, untags the name it was given and removes the image with its last tag (the kubelet removes images by id, which removes the whole image on both)",
    run: async (rt) => {
      const { repo, image: built } = await image("untag", ["a", "b"]);
      await pull(rt, `${repo}:a`);
      await pull(rt, `${repo}:b`);
      await remove(rt, `${repo}:a`);
      const b = (await status(rt, `${repo}:b`)).image;
      await remove(rt, built.configDigest);
      return { a: (await status(rt, `${repo}:a`)).image, b: described(b, built)?.repo_tags.map((t: string) => t.split(":").at(-1)), byId: (await status(rt, `${repo}:b`)).image };
    },
    check: (seen) => expect(seen).toEqual({ a: null, b: ["b"], byId: null }),
  },
  {
    desc: "RemoveImage by id and by digest reference remove the image",
    run: async (rt) => {
      const byId = await image("remove-by-id");
      const byDigest = await image("remove-by-digest");
      await pull(rt, `${byId.repo}:v1`);
      await pull(rt, `${byDigest.repo}:v1`);
      await remove(rt, byId.image.configDigest);
      await remove(rt, `${byDigest.repo}@${byDigest.image.manifestDigest}`);
      return { id: (await status(rt, `${byId.repo}:v1`)).image, digest: (await status(rt, `${byDigest.repo}:v1`)).image };
    },
    check: (seen) => expect(seen).toEqual({ id: null, digest: null }),
  },
  {
    desc: "RemoveImage of an image that was never pulled succeeds",
    run: (rt) => codeOf(remove(rt, `${rts.registry.host}/conformance/never-pulled:v1`)),
    check: (seen) => expect(seen).toBe("OK"),
  },
  {
    desc: "ListImages with a reference filter lists only that image",
    skiffOnly: "containerd 1.6 ignores ListImages' filter and lists every image",
    run: async (rt) => {
      const one = await image("list-one");
      const other = await image("list-other");
      await pull(rt, `${one.repo}:v1`);
      await pull(rt, `${other.repo}:v1`);
      const listed = (await rt.image.call<any>("ListImages", { filter: { image: { image: `${one.repo}:v1` } } })).images;
      return listed.map((i: any) => i.id === one.image.configDigest);
    },
    check: (seen) => expect(seen).toEqual([true]),
  },
  {
    desc: "ImageStatus reports the image's user: a uid for a numeric User, a username for a name",
    run: async (rt) => {
      await pull(rt, rts.images.users);
      await pull(rt, rts.images.named);
      const user = async (ref: string) => {
        const i = (await status(rt, ref)).image;
        return { uid: i.uid?.value ?? null, username: i.username };
      };
      return { numeric: await user(rts.images.users), named: await user(rts.images.named) };
    },
    check: (seen) => expect(seen).toEqual({ numeric: { uid: "1000", username: "" }, named: { uid: null, username: "user-in-image" } }),
  },
  {
    desc: "PullImage of a tag the registry does not have is NotFound, and leaves no image behind",
    run: async (rt) => {
      const ref = `${rts.registry.host}/conformance/by-tag:no-such-tag`;
      return { pull: await codeOf(pull(rt, ref)), after: (await status(rt, ref)).image };
    },
    check: (seen) => expect(seen).toEqual({ pull: "NOT_FOUND", after: null }),
  },
  {
    desc: "PullImage, ImageStatus and RemoveImage without an image are refused",
    run: async (rt) => ({
      pull: await okOrFailed(rt.image.call("PullImage", {})),
      status: await okOrFailed(rt.image.call("ImageStatus", {})),
      remove: await okOrFailed(rt.image.call("RemoveImage", {})),
    }),
    check: (seen) => expect(seen).toEqual({ pull: "failed", status: "failed", remove: "failed" }),
  },
  {
    desc: "refusals of the ImageService carry the codes the CRI calls for",
    skiffOnly: "containerd 1.6 answers Unknown for a missing image spec",
    run: async (rt) => ({
      pull: await refusal(rt.image.call("PullImage", {}), "image.image"),
      status: await refusal(rt.image.call("ImageStatus", {}), "image.image"),
      remove: await refusal(rt.image.call("RemoveImage", {}), "image.image"),
    }),
    check: (seen) => expect(seen).toEqual({ pull: "INVALID_ARGUMENT image.image", status: "INVALID_ARGUMENT image.image", remove: "INVALID_ARGUMENT image.image" }),
  },
  {
    desc: "a container's status names its image as asked for and by its digest reference",
    run: async (rt) => {
      const { repo, image: built } = await image("in-use");
      await pull(rt, `${repo}:v1`);
      const pod = await runPod(rt, "in-use");
      const id = await createContainer(rt, pod, ctrConfig("c", `${repo}:v1`, "sleep 1"));
      const s = (await rt.runtime.call<any>("ContainerStatus", { container_id: id })).status;
      return { image: s.image.image === `${repo}:v1`, imageRef: s.image_ref === `${repo}@${built.manifestDigest}` };
    },
    check: (seen) => expect(seen).toEqual({ image: true, imageRef: true }),
  },
  {
    desc: "a container's status.image_id is what PullImage answered as image_ref",
    skiffOnly: "containerd 1.6 predates ContainerStatus.image_id",
    run: async (rt) => {
      const { repo } = await image("in-use-id");
      const pulled = (await pull(rt, `${repo}:v1`)).image_ref;
      const pod = await runPod(rt, "in-use-id");
      const id = await createContainer(rt, pod, ctrConfig("c", `${repo}:v1`, "sleep 1"));
      return (await rt.runtime.call<any>("ContainerStatus", { container_id: id })).status.image_id === pulled;
    },
    check: (seen) => expect(seen).toBe(true),
  },
  {
    desc: "ImageFsInfo reports one filesystem holding the images, by its mount point",
    run: async (rt) => (await rt.image.call<any>("ImageFsInfo", {})).image_filesystems.map((f: any) => f.fs_id.mountpoint.startsWith("/")),
    check: (seen) => expect(seen).toEqual([true]),
  },
  {
    desc: "ImageFsInfo counts the bytes and inodes the images use as soon as they are pulled",
    skiffOnly: "containerd 1.6 samples its snapshotter's usage every stats_collect_period (10 s) and answers 0 until then",
    run: async (rt) => {
      await pull(rt, rts.images.busybox);
      const f = (await rt.image.call<any>("ImageFsInfo", {})).image_filesystems[0];
      return { bytes: Number(f.used_bytes.value) > 0, inodes: Number(f.inodes_used.value) > 0 };
    },
    check: (seen) => expect(seen).toEqual({ bytes: true, inodes: true }),
  },
];

runCases("images", rts, cases);
