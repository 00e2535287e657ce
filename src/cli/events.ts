import { defineCommand } from "citty";
import { ContainerEventResponseSchema, ContainerEventType } from "../gen/runtime/v1/api_pb.ts";
import { UsageError } from "./client-args.ts";
import { podClientArgs, withClient } from "./pod-client-args.ts";
import { protoJson } from "./proto-json.ts";
import { SHORT_ID_LENGTH } from "./short-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podClientArgs,
  count: { type: "string" as const, alias: "n", description: "stop after this many events (default: until interrupted)" },
};

const TYPE_NAMES: Record<ContainerEventType, string> = {
  [ContainerEventType.CONTAINER_CREATED_EVENT]: "created",
  [ContainerEventType.CONTAINER_STARTED_EVENT]: "started",
  [ContainerEventType.CONTAINER_STOPPED_EVENT]: "stopped",
  [ContainerEventType.CONTAINER_DELETED_EVENT]: "deleted",
};

/**
 * `skiff events`: GetContainerEvents, one line per event as it happens (`-o json`: one
 * JSON object per line), until interrupted or `--count` events came.
 */
export const eventsCommand = defineCommand({
  meta: { name: "events", description: "follow pod and container lifecycle events (GetContainerEvents)" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const count = a.count === undefined ? Number.POSITIVE_INFINITY : Number(a.count);
    if (a.count !== undefined && (!Number.isInteger(count) || count < 1)) throw new UsageError(`--count must be a whole number of 1 or more, got "${a.count}"`);
    const json = (a.output ?? "table") === "json";
    if (!json && a.output !== undefined && a.output !== "table") throw new UsageError(`-o ${a.output}: events are printed as table lines or json`);
    await withClient(a, async (client) => {
      let seen = 0;
      const abort = new AbortController();
      process.once("SIGINT", () => abort.abort());
      try {
        // A stream lives as long as the user wants: no per-call deadline.
        for await (const e of client.runtime.getContainerEvents({}, { timeoutMs: 0, signal: abort.signal })) {
          if (json) console.log(JSON.stringify(protoJson(ContainerEventResponseSchema, e)));
          else {
            const at = new Date(Number(e.createdAt / 1_000_000n)).toISOString();
            const pod = e.podSandboxStatus?.metadata?.name ?? "-";
            console.log(`${at}  ${TYPE_NAMES[e.containerEventType].padEnd(7)}  ${e.containerId.slice(0, SHORT_ID_LENGTH)}  pod ${pod}`);
          }
          if (++seen >= count) break;
        }
      } catch (err) {
        if (!abort.signal.aborted) throw err;
      }
    });
  },
});
