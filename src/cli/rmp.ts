import { defineCommand } from "citty";
import { PodSandboxState } from "../gen/runtime/v1/api_pb.ts";
import { FailedPreconditionError } from "../errors.ts";
import { forEachId, podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolvePodId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  timeout: { ...podConnectionArgs.timeout, default: "60" },
  pod: { type: "positional" as const, description: "pod sandbox ids (or unique prefixes)", required: true },
  force: { type: "boolean" as const, alias: "f", description: "stop a ready pod first" },
};

/**
 * `skiff rmp [-f] ID...`: RemovePodSandbox, like `crictl rmp`. A ready pod is refused
 * without -f, as crictl does.
 */
export const rmpCommand = defineCommand({
  meta: { name: "rmp", description: "remove pod sandboxes (RemovePodSandbox)" },
  args,
  async run({ args: a, rawArgs }) {
    const ids = checkArgs(rawArgs, args, { min: 1, what: "pod id" });
    await withClient(a, (client) =>
      forEachId(ids, "pods", async (prefix) => {
        const id = await resolvePodId(client, prefix);
        const { status } = await client.runtime.podSandboxStatus({ podSandboxId: id });
        if (status?.state === PodSandboxState.SANDBOX_READY) {
          if (!a.force) throw new FailedPreconditionError(`pod "${id}" is ready: stop it first (stopp) or use -f`);
          await client.runtime.stopPodSandbox({ podSandboxId: id });
        }
        await client.runtime.removePodSandbox({ podSandboxId: id });
        console.log(`Removed sandbox ${id}`);
      }),
    );
  },
});
