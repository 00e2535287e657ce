import { defineCommand } from "citty";
import { clientArgs, clientFrom, print } from "./client-args.ts";
import { parseVerboseInfo } from "./inspecti.ts";
import { checkArgs } from "./strict-args.ts";

/** `skiff info`: the runtime's Status with verbose info, like `crictl info`. */
export const infoCommand = defineCommand({
  meta: { name: "info", description: "show the CRI runtime's status and configuration (Status, verbose)" },
  args: { ...clientArgs },
  async run({ args, rawArgs }) {
    checkArgs(rawArgs, clientArgs, { max: 0 });
    const client = clientFrom(args);
    try {
      const res = await client.runtime.status({ verbose: true });
      print({ status: res.status, runtimeHandlers: res.runtimeHandlers, info: parseVerboseInfo(res.info) }, args);
    } finally {
      client.close();
    }
  },
});
