import { defineCommand } from "citty";
import { clientArgs, clientFrom, print } from "./client-args.ts";
import { imageMatches, imageTableHeaders, imageTableRows } from "./image-rows.ts";
import { checkArgs } from "./strict-args.ts";
import { renderTable } from "./table.ts";

const args = {
  ...clientArgs,
  image: { type: "positional" as const, description: "only this image (tag, digest or id)", required: false },
  quiet: { type: "boolean" as const, alias: "q", description: "print image ids only" },
  digests: { type: "boolean" as const, description: "show the repo digest" },
};

/** `skiff images [REF]`: ListImages as crictl shows it (IMAGE, TAG, IMAGE ID, SIZE). */
export const imagesCommand = defineCommand({
  meta: { name: "images", description: "list images (ListImages)" },
  args,
  async run({ args: a, rawArgs }) {
    const [name] = checkArgs(rawArgs, args, { max: 1, what: "image" });
    const client = clientFrom(a);
    try {
      const res = await client.image.listImages(name ? { filter: { image: { image: name } } } : {});
      const images = name ? res.images.filter((img) => imageMatches(img, name)) : res.images;
      if (a.quiet) {
        for (const id of new Set(images.map((img) => img.id))) console.log(id);
      } else if ((a.output ?? "table") === "table") {
        console.log(renderTable(imageTableHeaders({ digests: a.digests }), imageTableRows(images, { digests: a.digests })));
      } else {
        print({ images }, a);
      }
    } finally {
      client.close();
    }
  },
});
