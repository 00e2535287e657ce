import { defineCommand } from "citty";
import { describeError } from "../errors.ts";
import { UsageError, clientArgs, clientFrom } from "./client-args.ts";
import type { CriClient } from "./cri-client.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...clientArgs,
  image: { type: "positional" as const, description: "image tags, digests or ids", required: false },
  all: { type: "boolean" as const, alias: "a", description: "remove every image" },
};

/**
 * Removes one image by the name given and says what happened: `Untagged: <tag>` for
 * each tag that went, `Deleted: <id>` when the image itself is gone. RemoveImage
 * succeeds for an unknown image (api.proto), so the name is looked up first, as crictl
 * does, to report a typo instead of doing nothing.
 */
async function removeOne(client: CriClient, name: string): Promise<string[]> {
  const before = (await client.image.imageStatus({ image: { image: name } })).image;
  if (!before) throw new Error(`image "${name}" not found`);
  await client.image.removeImage({ image: { image: name } });
  const after = (await client.image.imageStatus({ image: { image: before.id } })).image;
  const kept = new Set(after?.repoTags ?? []);
  const lines = before.repoTags.filter((t) => !kept.has(t)).map((t) => `Untagged: ${t}`);
  if (!after) lines.push(`Deleted: ${before.id}`);
  return lines;
}

/** `skiff rmi REF...` / `skiff rmi --all`: RemoveImage, like `crictl rmi`. */
export const rmiCommand = defineCommand({
  meta: { name: "rmi", description: "remove images (RemoveImage)" },
  args,
  async run({ args: a, rawArgs }) {
    const names = checkArgs(rawArgs, args, { what: "image" });
    if (a.all && names.length > 0) throw new UsageError("give image names or --all, not both");
    if (!a.all && names.length === 0) throw new UsageError("missing image (or --all)");
    const client = clientFrom(a);
    try {
      if (a.all) {
        const { images } = await client.image.listImages({});
        for (const img of images) {
          await client.image.removeImage({ image: { image: img.id } });
          console.log(`Deleted: ${img.id}`);
        }
        return;
      }
      // Like crictl: go on with the other names after a failure, then fail as a whole.
      const failures: unknown[] = [];
      for (const name of names) {
        try {
          for (const line of await removeOne(client, name)) console.log(line);
        } catch (err) {
          if (names.length === 1) throw err;
          failures.push(err);
          console.error(`skiff: ${describeError(err)}`);
        }
      }
      if (failures.length > 0) throw new Error(`${failures.length} of ${names.length} images could not be removed`);
    } finally {
      client.close();
    }
  },
});
