import { defineCommand } from "citty";
import { clientArgs, clientFrom, print } from "./client-args.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...clientArgs,
  // JSON by default, as crictl inspecti: the image config is too deep for a table
  output: { ...clientArgs.output, default: "json" },
  image: { type: "positional" as const, description: "image tag, digest or id", required: true },
};

/** Values in ImageStatus' verbose info are JSON documents; show them as structure. */
export function parseVerboseInfo(info: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(info)) {
    try {
      out[k] = JSON.parse(v);
    } catch {
      out[k] = v;
    }
  }
  return out;
}

/** `skiff inspecti REF`: ImageStatus with verbose info, like `crictl inspecti`. */
export const inspectiCommand = defineCommand({
  meta: { name: "inspecti", description: "show an image's status and details (ImageStatus, verbose)" },
  args,
  async run({ args: a, rawArgs }) {
    const [name] = checkArgs(rawArgs, args, { min: 1, max: 1, what: "image" }) as [string];
    const client = clientFrom(a);
    try {
      const res = await client.image.imageStatus({ image: { image: name }, verbose: true });
      // ImageStatus answers an unknown image with no image, not an error (api.proto)
      if (!res.image) throw new Error(`image "${name}" not found`);
      print({ status: res.image, info: parseVerboseInfo(res.info) }, a);
    } finally {
      client.close();
    }
  },
});
