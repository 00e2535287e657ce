import { defineCommand } from "citty";
import { ContainerState } from "../gen/runtime/v1/api_pb.ts";
import { FailedPreconditionError } from "../errors.ts";
import { forEachId, podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  container: { type: "positional" as const, description: "container ids (or unique prefixes)", required: true },
  force: { type: "boolean" as const, alias: "f", description: "stop a running container first (no grace period)" },
};

/**
 * `skiff rm [-f] ID...`: RemoveContainer, like `crictl rm`. A running container is
 * refused without -f, as crictl does, instead of leaving the answer to the runtime
 * (some kill it, some refuse).
 */
export const rmCommand = defineCommand({
  meta: { name: "rm", description: "remove containers (RemoveContainer)" },
  args,
  async run({ args: a, rawArgs }) {
    const ids = checkArgs(rawArgs, args, { min: 1, what: "container id" });
    await withClient(a, (client) =>
      forEachId(ids, "containers", async (prefix) => {
        const id = await resolveContainerId(client, prefix);
        const { status } = await client.runtime.containerStatus({ containerId: id });
        if (status?.state === ContainerState.CONTAINER_RUNNING) {
          if (!a.force) throw new FailedPreconditionError(`container "${id}" is running: stop it first or use -f`);
          await client.runtime.stopContainer({ containerId: id, timeout: 0n });
        }
        await client.runtime.removeContainer({ containerId: id });
        console.log(id);
      }),
    );
  },
});
