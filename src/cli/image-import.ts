import * as fs from "node:fs";
import { defineCommand } from "citty";
import { rechunk } from "./rechunk.ts";
import { UsageError, clientArgs, clientFrom, print } from "./client-args.ts";
import { needsSkiff } from "./needs-skiff.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...clientArgs,
  file: { type: "positional" as const, description: "OCI image-layout or `docker save` archive (tar); - for stdin", required: true },
};

/** The archive's bytes: the file, or stdin for "-". */
function openArchive(file: string): AsyncIterable<Uint8Array> {
  if (file === "-") {
    if (process.stdin.isTTY) throw new UsageError("refusing to read an archive from a terminal; pipe it in or name a file");
    return Bun.stdin.stream();
  }
  // Fail before connecting, with the path in the message (ENOENT, EISDIR...).
  const st = fs.statSync(file);
  if (!st.isFile()) throw new Error(`"${file}" is not a file`);
  return Bun.file(file).stream();
}

/**
 * `skiff image import FILE|-`: streams an archive to skiff.v1.Images/Import in 1 MiB
 * chunks and prints what it loaded, one line per tag, as `docker load` does.
 */
export const imageImportCommand = defineCommand({
  meta: { name: "import", description: "load images from an OCI or docker archive (skiff endpoints only)" },
  args,
  async run({ args: a, rawArgs }) {
    const [file] = checkArgs(rawArgs, args, { min: 1, max: 1, what: "file" }) as [string];
    const source = openArchive(file);
    const client = clientFrom(a);
    try {
      const requests = (async function* () {
        for await (const chunk of rechunk(source)) yield { chunk };
      })();
      // No deadline: an archive may take longer than --timeout to send and unpack.
      const res = await client.skiff.import(requests, { timeoutMs: 0 }).catch((err) => {
        throw needsSkiff("image import", err);
      });
      if ((a.output ?? "table") !== "table") return print(res, a);
      for (const img of res.images) {
        if (img.repoTags.length === 0) console.log(`Loaded image ID: ${img.id}`);
        for (const tag of img.repoTags) console.log(`Loaded image: ${tag}`);
      }
    } finally {
      client.close();
    }
  },
});
