/**
 * critest's image specs (pkg/validate/image.go, image_consistency.go,
 * image_id_consistency.go, image_volume.go), each as critest runs it, against the compiled
 * skiff over its socket. critest's gcr.io test images are built here (busybox, each with a
 * label of its own), and its "same image from two registries" is the test registry by two
 * names, 127.0.0.1 and localhost. README.md maps every spec to its test.
 */
import { describe, expect, test } from "bun:test";
import { type BuiltImage, busyboxImage, pushImage } from "../../support/images.ts";
import { hostArchitecture } from "../../support/pod-images.ts";
import { isRoot } from "../harness.ts";
import { type CritestEnv, codeName, useCritestEnv } from "./critest-env.ts";

let env: CritestEnv;
/** The registry as `127.0.0.1:PORT`, and the same one as `localhost:PORT`. */
let registry = "";
let registryByName = "";
const built = new Map<string, BuiltImage>();

/** critest's test images: repository → tags (an image per repository; its tags name one image). */
const REPOS: Record<string, string[]> = {
  "test-image-tag": ["test", "all"],
  "test-image-latest": ["latest"],
  "test-image-digest": [],
  "test-image-1": ["latest"],
  "test-image-2": ["latest"],
  "test-image-3": ["latest"],
  "test-image-tags": ["1", "2", "3"],
  pause: ["3.9"],
};

useCritestEnv(["userUid", "userName", "userUidGroup", "userNameGroup"], async (e) => {
  env = e;
  registry = env.images.busybox.split("/")[0]!;
  registryByName = registry.replace("127.0.0.1", "localhost");
  for (const [repo, tags] of Object.entries(REPOS)) {
    const img = busyboxImage({ architecture: hostArchitecture(), salt: repo });
    built.set(repo, img);
    if (tags.length === 0) await pushImage(registry, `critest/${repo}`, img);
    for (const tag of tags) await pushImage(registry, `critest/${repo}`, img, tag);
  }
});

type Json = Record<string, any>;
const ref = (repoTag: string) => `${registry}/critest/${repoTag}`;
const pull = async (image: string): Promise<string> => (await env.d.image.call<Json>("PullImage", { image: { image } }, 60_000)).image_ref;
const status = async (image: string): Promise<Json | null> => (await env.d.image.call<Json>("ImageStatus", { image: { image } })).image;
const list = async (): Promise<Json[]> => (await env.d.image.call<Json>("ListImages", { filter: {} })).images;
const remove = (image: string) => env.d.image.call("RemoveImage", { image: { image } }, 60_000);
/** critest's removeImage: ImageStatus, then RemoveImage by the id it gives. */
async function removeImage(image: string): Promise<void> {
  const s = await status(image);
  if (s) await remove(s.id);
}
/** critest's testPullPublicImage: pull, a status with an id and a size, `check`, then testRemoveImage. */
async function pullAndRemove(image: string, check: (s: Json) => void): Promise<void> {
  await removeImage(image);
  await pull(image);
  const s = await status(image);
  expect(s?.id).toBeTruthy();
  expect(Number(s?.size)).toBeGreaterThan(0);
  check(s!);
  await removeImage(image);
  expect(await status(image)).toBeNull();
}

describe.skipIf(!isRoot)("Image Manager", () => {
  test("public image with tag should be pulled and removed [Conformance]", async () => {
    await pullAndRemove(ref("test-image-tag:test"), (s) => expect(s.repo_tags).toEqual([ref("test-image-tag:test")]));
  });

  test("public image should timeout if requested [Conformance]", async () => {
    expect(await codeName(env.d.image.call("PullImage", { image: { image: ref("test-image-tag:test") } }, 1))).toBe("DEADLINE_EXCEEDED");
    // and the daemon goes on: the same pull with time to finish works
    expect(await pull(ref("test-image-tag:test"))).toBe(built.get("test-image-tag")!.configDigest);
    await removeImage(ref("test-image-tag:test"));
  });

  test("public image without tag should be pulled and removed [Conformance]", async () => {
    await pullAndRemove(ref("test-image-latest"), (s) => expect(s.repo_tags).toEqual([ref("test-image-latest:latest")]));
  });

  test("public image with digest should be pulled and removed [Conformance]", async () => {
    const byDigest = ref(`test-image-digest@${built.get("test-image-digest")!.manifestDigest}`);
    await pullAndRemove(byDigest, (s) => {
      expect(s.repo_tags).toEqual([]);
      expect(s.repo_digests).toEqual([byDigest]);
    });
  });

  test("image status should support all kinds of references [Conformance]", async () => {
    const image = ref("test-image-tag:all");
    await removeImage(image);
    await pull(image);
    const s = await status(image);
    expect(s).not.toBeNull();
    expect(await status(s!.id)).toEqual(s);
    for (const tag of s!.repo_tags) expect(await status(tag)).toEqual(s);
    for (const digest of s!.repo_digests) expect(await status(digest)).toEqual(s);
    await removeImage(image);
    expect(await status(image)).toBeNull();
  });

  test("image status get image fields should not have Uid|Username empty [Conformance]", async () => {
    const items = [
      { description: "UID only", image: env.critest.userUid, uid: 1002, username: "" },
      { description: "Username only", image: env.critest.userName, uid: 0, username: "www-data" },
      { description: "UID:group", image: env.critest.userUidGroup, uid: 1003, username: "" },
      { description: "Username:group", image: env.critest.userNameGroup, uid: 0, username: "www-data" },
    ];
    for (const item of items) {
      await pull(item.image);
      const s = (await status(item.image))!;
      expect({ description: item.description, uid: Number(s.uid?.value ?? 0), username: s.username }).toEqual({ description: item.description, uid: item.uid, username: item.username });
      await removeImage(item.image);
    }
  });

  test("listImage should get exactly 3 image in the result list [Conformance]", async () => {
    const refs = ["test-image-1:latest", "test-image-2:latest", "test-image-3:latest"].map(ref);
    const ids = [];
    for (const r of refs) ids.push(await pull(r));
    expect(new Set(ids).size).toBe(3);
    const images = await list();
    ids.forEach((id, i) => expect(images.find((img) => img.id === id)?.repo_tags).toEqual([refs[i]]));
    for (const r of refs) await removeImage(r);
  });

  test("listImage should get exactly 3 repoTags in the result image [Conformance]", async () => {
    const refs = ["test-image-tags:1", "test-image-tags:2", "test-image-tags:3"].map(ref);
    const ids = new Set<string>();
    for (const r of refs) ids.add(await pull(r));
    expect(ids.size).toBe(1);
    const img = (await list()).find((i) => ids.has(i.id));
    expect([...img!.repo_tags].sort()).toEqual([...refs].sort());
    for (const r of refs) await removeImage(r);
  });

  test("removing image by one tag should remove all tags [Conformance]", async () => {
    const refs = ["test-image-tags:1", "test-image-tags:2", "test-image-tags:3"].map(ref);
    for (const r of refs) await pull(r);
    const img = (await list()).find((i) => i.repo_tags.includes(refs[0]));
    expect(img?.repo_tags).toHaveLength(3);
    expect(img?.repo_tags).toEqual(expect.arrayContaining(refs));
    await removeImage(refs[0]!);
    for (const r of [...refs, img!.id]) expect(await status(r)).toBeNull();
  });

  test("removing image from one registry should remove all tags from other registries [Conformance]", async () => {
    const refs = [`${registry}/critest/pause:3.9`, `${registryByName}/critest/pause:3.9`];
    for (const r of refs) await pull(r);
    const img = (await list()).find((i) => i.repo_tags.includes(refs[0]));
    expect(img?.repo_tags).toHaveLength(2);
    expect(img?.repo_tags).toEqual(expect.arrayContaining(refs));
    await removeImage(refs[0]!);
    for (const r of [...refs, img!.id]) expect(await status(r)).toBeNull();
  });
});

describe.skipIf(!isRoot)("Image Consistency", () => {
  const image = () => ref("test-image-tag:test");

  test("should not list or get image status immediately after removal [Conformance]", async () => {
    await removeImage(image());
    await pull(image());
    await removeImage(image());
    expect((await list()).some((i) => i.repo_tags.includes(image()))).toBe(false);
    expect(await status(image())).toBeNull();
  });

  test("should list and get image status immediately after pulling [Conformance]", async () => {
    await removeImage(image());
    await pull(image());
    expect((await list()).some((i) => i.repo_tags.includes(image()))).toBe(true);
    expect(await status(image())).not.toBeNull();
    await removeImage(image());
  });

  test("should not fail on simultaneous RemoveImage calls [Conformance]", async () => {
    await removeImage(image());
    await pull(image());
    const id = (await status(image()))!.id;
    const results = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const code = await codeName(remove(id));
        return { code, found: (await status(id)) !== null };
      }),
    );
    for (const r of results) expect(r).toEqual({ code: "OK", found: false });
    expect(await status(id)).toBeNull();
  });
});

describe.skipIf(!isRoot)("Image Identifier Consistency", () => {
  /** A container of `imageRef` (the image's id) with its name as the user specified it, started; its image ids as each API says them. */
  async function idsOfContainer(imageRef: string, userSpecified: string) {
    const pod = await env.runPod("create-PodSandbox-for-container-");
    const config = { metadata: { name: `id-consistency-${crypto.randomUUID()}`, attempt: 2 }, image: { image: imageRef, user_specified_image: userSpecified } };
    const id = await env.create(pod, config);
    await env.start(id);
    const statusId = (await env.status(id)).image_id;
    const listed = (await env.call("ListContainers", { filter: { id } })).containers;
    expect(listed).toHaveLength(1);
    await env.call("RemoveContainer", { container_id: id });
    await env.cleanup(pod);
    return { status: statusId, list: listed[0].image_id };
  }

  test("should return the same image identifier across all APIs [Conformance]", async () => {
    const name = ref("test-image-tag:test");
    const imageRef = await pull(name);
    expect(imageRef).not.toBe("");
    expect((await status(name))!.id).toBe(imageRef);
    expect(await idsOfContainer(imageRef, name)).toEqual({ status: imageRef, list: imageRef });
    await removeImage(name);
  });

  test("should return the same image identifier when pulled from different registries [Conformance]", async () => {
    const [one, two] = [`${registry}/critest/pause:3.9`, `${registryByName}/critest/pause:3.9`];
    const ref1 = await pull(one!);
    const ref2 = await pull(two!);
    expect(ref1).not.toBe("");
    expect(ref2).toBe(ref1);
    expect((await status(one!))!.id).toBe(ref1);
    expect((await status(two!))!.id).toBe(ref1);
    expect((await idsOfContainer(ref2, two!)).status).toBe(ref1);
    await removeImage(one!);
  });
});

describe.skipIf(!isRoot)("Image Volume [Feature:ImageVolume]", () => {
  /**
   * skiff does not build image volumes: CreateContainer with one answers Unimplemented,
   * which critest's skipIfImageVolumeUnsupported reads as "skip" for every spec here.
   */
  const createWithImageVolume = async (mount: Json) => {
    const name = ref("test-image-tag:test");
    const imageRef = await pull(name);
    const pod = await env.runPod("create-PodSandbox-for-container-");
    const config = { ...env.ctrConfig("image-volume-test-", ["sh", "-c", "top"]), mounts: [{ container_path: "/mnt/image-volume", image: { image: imageRef, user_specified_image: name }, ...mount }] };
    const code = await codeName(env.create(pod, config));
    expect((await env.call("ListContainers", { filter: { pod_sandbox_id: pod.id } })).containers).toEqual([]);
    await env.cleanup(pod);
    return code;
  };
  const specs = [
    { spec: "should return image digest in ContainerStatus mounts", mount: { readonly: true } },
    { spec: "should correctly mount image and enforce read-only", mount: { readonly: true } },
    { spec: "should reject Image Volume with Readonly set to false", mount: { readonly: false } },
  ];
  for (const tc of specs) test(tc.spec, async () => expect(await createWithImageVolume(tc.mount)).toBe("UNIMPLEMENTED"));
  describe("subPath", () => {
    test("should succeed when using a valid subPath", async () => expect(await createWithImageVolume({ readonly: true, image_sub_path: "etc" })).toBe("UNIMPLEMENTED"));
    test("should fail when subPath does not exist in the image", async () => expect(await createWithImageVolume({ readonly: true, image_sub_path: "not-existing" })).toBe("UNIMPLEMENTED"));
  });
});
