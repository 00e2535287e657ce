import { defineCommand } from "citty";
import { PodSandboxStatusSchema } from "../gen/runtime/v1/api_pb.ts";
import { print } from "./client-args.ts";
import { parseVerboseInfo } from "./inspecti.ts";
import { forEachId, podClientArgs, withClient } from "./pod-client-args.ts";
import { protoJson } from "./proto-json.ts";
import { resolvePodId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podClientArgs,
  output: { ...podClientArgs.output, default: "json" },
  pod: { type: "positional" as const, description: "pod sandbox ids (or unique prefixes)", required: true },
};

/** `skiff inspectp ID...`: PodSandboxStatus with verbose info, like `crictl inspectp`. */
export const inspectpCommand = defineCommand({
  meta: { name: "inspectp", description: "show a pod sandbox's status and details (PodSandboxStatus, verbose)" },
  args,
  async run({ args: a, rawArgs }) {
    const ids = checkArgs(rawArgs, args, { min: 1, what: "pod id" });
    await withClient(a, (client) =>
      forEachId(ids, "pods", async (prefix) => {
        const podSandboxId = await resolvePodId(client, prefix);
        const res = await client.runtime.podSandboxStatus({ podSandboxId, verbose: true });
        print({ status: protoJson(PodSandboxStatusSchema, res.status), info: parseVerboseInfo(res.info) }, a);
      }),
    );
  },
});
