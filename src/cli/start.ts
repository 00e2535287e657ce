import { defineCommand } from "citty";
import { forEachId, podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  container: { type: "positional" as const, description: "container ids (or unique prefixes)", required: true },
};

/** `skiff start ID...`: StartContainer, like `crictl start`; prints each id started. */
export const startCommand = defineCommand({
  meta: { name: "start", description: "start created containers (StartContainer)" },
  args,
  async run({ args: a, rawArgs }) {
    const ids = checkArgs(rawArgs, args, { min: 1, what: "container id" });
    await withClient(a, (client) =>
      forEachId(ids, "containers", async (prefix) => {
        const id = await resolveContainerId(client, prefix);
        await client.runtime.startContainer({ containerId: id });
        console.log(id);
      }),
    );
  },
});
