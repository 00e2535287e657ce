import { defineCommand } from "citty";
import pkg from "../../package.json" with { type: "json" };
import { chosenEndpoint, clientArgs, clientFrom, print } from "./client-args.ts";
import { checkArgs } from "./strict-args.ts";

/**
 * `skiff version`: this binary's version, and the runtime's answer to the CRI Version
 * RPC. The default endpoint may simply not be running; that is only an error when the
 * user named the endpoint.
 */
export const versionCommand = defineCommand({
  meta: { name: "version", description: "print skiff's version and the CRI runtime's Version" },
  args: { ...clientArgs },
  async run({ args, rawArgs }) {
    checkArgs(rawArgs, clientArgs, { max: 0 });
    const local = { client: { name: "skiff", version: pkg.version, bun: Bun.version } };
    const client = clientFrom(args);
    try {
      const v = await client.runtime.version({ version: "v1" });
      print({ ...local, runtime: v }, args);
    } catch (err) {
      if (chosenEndpoint(args).explicit) throw err;
      print(local, args);
      console.error(`(no runtime answered on ${chosenEndpoint(args).endpoint})`);
    } finally {
      client.close();
    }
  },
});
