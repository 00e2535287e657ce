import * as fs from "node:fs";
import * as path from "node:path";
import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { writeBundle } from "../install/bundle-write.ts";
import { runningExecutable } from "../install/install-facts.ts";
import { createPlatform } from "../platform/index.ts";
import { UsageError, clientArgs, clientFrom } from "./client-args.ts";
import type { CriClient } from "./cri-client.ts";
import { exportToFile } from "./image-export.ts";
import { needsSkiff } from "./needs-skiff.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  endpoint: clientArgs.endpoint,
  timeout: clientArgs.timeout,
  file: { type: "string" as const, description: "the bundle to write", required: true },
  images: { type: "string" as const, description: "images to put in (each word after --images, up to the next flag; also as operands)" },
};

/**
 * The images named: the value of every `--images` (`--images a,b`, `--images=a`, given
 * more than once too), then the operands, so `--images a b c` names three; no repeats.
 */
export function bundleImageRefs(rawArgs: readonly string[], operands: readonly string[]): string[] {
  const refs: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const word = rawArgs[i] as string;
    const value = word === "--images" ? rawArgs[++i] : word.startsWith("--images=") ? word.slice("--images=".length) : undefined;
    if (value !== undefined) refs.push(...value.split(",").filter(Boolean));
  }
  return [...new Set([...refs, ...operands])];
}

/** Pulls (through the daemon) every image it does not hold yet, so the export finds them all. */
async function ensureImages(client: CriClient, refs: string[]): Promise<void> {
  for (const ref of refs) {
    const status = await client.image.imageStatus({ image: { image: ref } });
    if (status.image) continue;
    console.error(`pulling ${ref}`);
    await client.image.pullImage({ image: { image: ref } }, { timeoutMs: 0 });
  }
}

/**
 * `skiff bundle --file F --images REF...`: one archive with this skiff executable and the
 * images, for `skiff install --bundle F` on a node without a registry. The images come
 * from a running skiff (`--endpoint`), which pulls any it does not hold yet: it already
 * has the registry settings and credentials, and its export is the archive format its
 * import dir reads.
 */
export const bundleCommand = defineCommand({
  meta: { name: "bundle", description: "write one archive with skiff itself and images, for `skiff install --bundle` on an offline node" },
  args,
  async run({ args: a, rawArgs }) {
    const operands = checkArgs(rawArgs, args, {});
    const refs = bundleImageRefs(rawArgs, operands);
    const os = createPlatform().os;
    if (os !== "linux") throw new UsageError("skiff bundle makes bundles for Linux nodes only");
    const binary = runningExecutable();
    if (binary === undefined) throw new UsageError("skiff bundle packs the running executable: run the compiled skiff (bun scripts/build-binary.ts), not `bun src/main.ts`");
    const file = path.resolve(a.file as string);
    const imagesTmp = `${file}.images-tmp-${process.pid}`;
    try {
      if (refs.length > 0) {
        const client = clientFrom({ ...a, output: "table" });
        try {
          await ensureImages(client, refs);
          await exportToFile(client.skiff.export({ images: refs }, { timeoutMs: 0 }), imagesTmp);
        } catch (err) {
          throw needsSkiff("bundle", err);
        } finally {
          client.close();
        }
      }
      const m = await writeBundle({
        file,
        binary,
        ...(refs.length > 0 && { images: { file: imagesTmp, refs } }),
        skiffVersion: pkg.version,
        os,
        arch: process.arch,
      });
      const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
      const images = m.images ? ` and ${m.images.refs.length} image(s), ${mib(m.images.size)}: ${m.images.refs.join(", ")}` : " (no images)";
      console.log(`wrote ${file}: skiff ${m.skiffVersion} (${m.os}-${m.arch}, ${mib(m.binary.size)})${images}`);
    } finally {
      fs.rmSync(imagesTmp, { force: true });
    }
  },
});
