import * as fs from "node:fs";
import { once } from "node:events";
import type { Writable } from "node:stream";
import { defineCommand } from "citty";
import { UsageError, clientArgs, clientFrom } from "./client-args.ts";
import { needsSkiff } from "./needs-skiff.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...clientArgs,
  image: { type: "positional" as const, description: "image tags, digests or ids", required: true },
  // not -o: that is the output format of every client verb
  file: { type: "string" as const, description: "write the archive here (default, or -: stdout when it is not a terminal)" },
};

/** Writes a chunk, waiting for the stream to drain when its buffer is full. */
async function writeChunk(out: Writable, chunk: Uint8Array): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

/** Sends the export's chunks to `out`. */
async function copyTo(chunks: AsyncIterable<{ chunk: Uint8Array }>, out: Writable): Promise<void> {
  for await (const { chunk } of chunks) if (chunk.length > 0) await writeChunk(out, chunk);
}

/**
 * Writes `FILE.tmp`, then renames it over FILE, so FILE is either the whole archive or
 * untouched; the temp file is removed if anything fails.
 */
export async function exportToFile(chunks: AsyncIterable<{ chunk: Uint8Array }>, file: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const out = fs.createWriteStream(tmp, { mode: 0o644 });
  try {
    await once(out, "open");
    await copyTo(chunks, out);
    out.end();
    await once(out, "close");
    fs.renameSync(tmp, file);
  } catch (err) {
    out.destroy();
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * `skiff image export REF... [--file FILE]`: skiff.v1.Images/Export, one OCI
 * image-layout archive (with a docker-style manifest.json) holding every image named.
 */
export const imageExportCommand = defineCommand({
  meta: { name: "export", description: "save images to an OCI archive (skiff endpoints only)" },
  args,
  async run({ args: a, rawArgs }) {
    const images = checkArgs(rawArgs, args, { min: 1, what: "image" });
    const toStdout = !a.file || a.file === "-";
    if (toStdout && process.stdout.isTTY) throw new UsageError("refusing to write an archive to a terminal; use --file FILE or a pipe");
    const client = clientFrom(a);
    try {
      // No deadline: a large archive takes longer than --timeout.
      const chunks = client.skiff.export({ images }, { timeoutMs: 0 });
      if (toStdout) await copyTo(chunks, process.stdout);
      else await exportToFile(chunks, a.file as string);
      if (toStdout) await new Promise<void>((resolve) => process.stdout.write("", () => resolve()));
    } catch (err) {
      throw needsSkiff("image export", err);
    } finally {
      client.close();
    }
  },
});
