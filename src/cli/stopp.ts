import { defineCommand } from "citty";
import { forEachId, podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolvePodId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  timeout: { ...podConnectionArgs.timeout, default: "60" },
  pod: { type: "positional" as const, description: "pod sandbox ids (or unique prefixes)", required: true },
};

/** `skiff stopp ID...`: StopPodSandbox, like `crictl stopp`. */
export const stoppCommand = defineCommand({
  meta: { name: "stopp", description: "stop pod sandboxes and their containers (StopPodSandbox)" },
  args,
  async run({ args: a, rawArgs }) {
    const ids = checkArgs(rawArgs, args, { min: 1, what: "pod id" });
    await withClient(a, (client) =>
      forEachId(ids, "pods", async (prefix) => {
        const id = await resolvePodId(client, prefix);
        await client.runtime.stopPodSandbox({ podSandboxId: id });
        console.log(`Stopped sandbox ${id}`);
      }),
    );
  },
});
