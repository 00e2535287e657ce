import { defineCommand } from "citty";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type PodSandboxStatsFilterSchema, PodSandboxStatsSchema } from "../gen/runtime/v1/api_pb.ts";
import { print } from "./client-args.ts";
import { humanSize } from "./human-size.ts";
import { manyValues, parseLabels } from "./list-filters.ts";
import { podClientArgs, withClient } from "./pod-client-args.ts";
import { protoJson } from "./proto-json.ts";
import { SHORT_ID_LENGTH } from "./short-id.ts";
import { cpuPercentOf, parseSampleSeconds, twoSamples } from "./stats.ts";
import { checkArgs } from "./strict-args.ts";
import { renderTable } from "./table.ts";

const args = {
  ...podClientArgs,
  id: { type: "string" as const, description: "only pods whose id starts with this" },
  label: { type: "string" as const, description: "only pods with this label (key=value; repeatable)" },
  seconds: { type: "string" as const, alias: "s", description: "seconds between the two samples CPU % is worked out from (default 1)" },
};

/**
 * `skiff statsp`: ListPodSandboxStats, like `crictl statsp`: each pod's CPU % (two
 * samples `--seconds` apart), memory working set and network traffic of its default
 * interface, from the Linux or the Windows part of the answer.
 */
export const statspCommand = defineCommand({
  meta: { name: "statsp", description: "show pods' resource usage (ListPodSandboxStats)" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const seconds = parseSampleSeconds(a.seconds);
    const filter: MessageInitShape<typeof PodSandboxStatsFilterSchema> = { labelSelector: parseLabels(manyValues(a.label)) };
    await withClient(a, async (client) => {
      const sample = async () => (await client.runtime.listPodSandboxStats({ filter })).stats.filter((s) => !a.id || s.attributes?.id.startsWith(a.id));
      const { first, second: stats } = await twoSamples(seconds, sample, (s) => s.attributes?.id);
      if ((a.output ?? "table") !== "table") {
        print({ stats: stats.map((s) => protoJson(PodSandboxStatsSchema, s)) }, a);
        return;
      }
      const rows = stats.map((s) => {
        // A Windows node answers in the `windows` part.
        const part = (p: typeof s | undefined) => p?.linux ?? p?.windows;
        const net = part(s)?.network?.defaultInterface;
        const mem = part(s)?.memory?.workingSetBytes;
        return [
          (s.attributes?.id ?? "").slice(0, SHORT_ID_LENGTH),
          s.attributes?.metadata?.name ?? "",
          cpuPercentOf(part(first.get(s.attributes?.id))?.cpu, part(s)?.cpu),
          mem ? humanSize(mem.value) : "-",
          net?.rxBytes ? humanSize(net.rxBytes.value) : "-",
          net?.txBytes ? humanSize(net.txBytes.value) : "-",
        ];
      });
      console.log(renderTable(["POD", "NAME", "CPU %", "MEM", "RX", "TX"], rows));
    });
  },
});
