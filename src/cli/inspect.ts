import { defineCommand } from "citty";
import { ContainerStatusSchema } from "../gen/runtime/v1/api_pb.ts";
import { print } from "./client-args.ts";
import { parseVerboseInfo } from "./inspecti.ts";
import { forEachId, podClientArgs, withClient } from "./pod-client-args.ts";
import { protoJson } from "./proto-json.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podClientArgs,
  // JSON by default, as crictl inspect: the verbose info (OCI spec...) is too deep for a table
  output: { ...podClientArgs.output, default: "json" },
  container: { type: "positional" as const, description: "container ids (or unique prefixes)", required: true },
};

/** `skiff inspect ID...`: ContainerStatus with verbose info, like `crictl inspect`. */
export const inspectCommand = defineCommand({
  meta: { name: "inspect", description: "show a container's status and details (ContainerStatus, verbose)" },
  args,
  async run({ args: a, rawArgs }) {
    const ids = checkArgs(rawArgs, args, { min: 1, what: "container id" });
    await withClient(a, (client) =>
      forEachId(ids, "containers", async (prefix) => {
        const containerId = await resolveContainerId(client, prefix);
        const res = await client.runtime.containerStatus({ containerId, verbose: true });
        print({ status: protoJson(ContainerStatusSchema, res.status), info: parseVerboseInfo(res.info) }, a);
      }),
    );
  },
});
