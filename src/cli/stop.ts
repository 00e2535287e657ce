import { defineCommand } from "citty";
import { UsageError } from "./client-args.ts";
import { forEachId, podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  container: { type: "positional" as const, description: "container ids (or unique prefixes)", required: true },
  grace: { type: "string" as const, alias: "t", description: "seconds to wait after the stop signal before killing", default: "0" },
};

/** `--grace`/`-t` as whole seconds (StopContainerRequest.timeout is int64 seconds). */
export function parseGrace(raw: string): bigint {
  if (!/^\d+$/.test(raw)) throw new UsageError(`-t "${raw}": expected whole seconds`);
  return BigInt(raw);
}

/**
 * `skiff stop [-t SECONDS] ID...`: StopContainer, like `crictl stop`. crictl spells
 * the grace period `--timeout`, which here is every verb's per-call deadline; `-t`
 * works on both. The call's deadline is stretched to cover the grace period.
 */
export const stopCommand = defineCommand({
  meta: { name: "stop", description: "stop running containers (StopContainer)" },
  args,
  async run({ args: a, rawArgs }) {
    const ids = checkArgs(rawArgs, args, { min: 1, what: "container id" });
    const grace = parseGrace(a.grace ?? "0");
    const deadline = String(Number(a.timeout ?? "10") + Number(grace));
    await withClient({ ...a, timeout: deadline }, (client) =>
      forEachId(ids, "containers", async (prefix) => {
        const id = await resolveContainerId(client, prefix);
        await client.runtime.stopContainer({ containerId: id, timeout: grace });
        console.log(id);
      }),
    );
  },
});
