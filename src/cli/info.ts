import { defineCommand } from "citty";
import { clientArgs, clientFrom, print } from "./client-args.ts";

/** Parses the JSON strings in Status.info so they print as structure, not escaped text. */
function parseInfo(info: Record<string, string>): Record<string, unknown> {
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

/** `skiff info`: the runtime's Status with verbose info, like `crictl info`. */
export const infoCommand = defineCommand({
  meta: { name: "info", description: "show the CRI runtime's status and configuration (Status, verbose)" },
  args: { ...clientArgs },
  async run({ args }) {
    const client = clientFrom(args);
    try {
      const res = await client.runtime.status({ verbose: true });
      print({ status: res.status, runtimeHandlers: res.runtimeHandlers, info: parseInfo(res.info) }, args);
    } finally {
      client.close();
    }
  },
});
