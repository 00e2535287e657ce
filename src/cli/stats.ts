import { defineCommand } from "citty";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type ContainerStats, type ContainerStatsFilterSchema, ContainerStatsSchema, type CpuUsage } from "../gen/runtime/v1/api_pb.ts";

/** A CPU sample, Linux's (CpuUsage) or Windows' (WindowsCpuUsage). */
type CpuSample = Pick<CpuUsage, "timestamp" | "usageCoreNanoSeconds">;
import { UsageError, print } from "./client-args.ts";
import { humanSize } from "./human-size.ts";
import { manyValues, parseLabels } from "./list-filters.ts";
import { podClientArgs, withClient } from "./pod-client-args.ts";
import { protoJson } from "./proto-json.ts";
import { resolvePodId } from "./resolve-id.ts";
import { SHORT_ID_LENGTH } from "./short-id.ts";
import { checkArgs } from "./strict-args.ts";
import { renderTable } from "./table.ts";

const args = {
  ...podClientArgs,
  pod: { type: "string" as const, alias: "p", description: "only containers of this pod (id or unique prefix)" },
  id: { type: "string" as const, description: "only containers whose id starts with this" },
  label: { type: "string" as const, description: "only containers with this label (key=value; repeatable)" },
  seconds: { type: "string" as const, alias: "s", description: "seconds between the two samples CPU % is worked out from (default 1)" },
};

/** CPU % over the window between two CPU samples (cumulative time and when it was read); "-" without both. */
export function cpuPercentOf(before: CpuSample | undefined, after: CpuSample | undefined): string {
  const a = before?.usageCoreNanoSeconds?.value;
  const b = after?.usageCoreNanoSeconds?.value;
  const dt = Number((after?.timestamp ?? 0n) - (before?.timestamp ?? 0n));
  if (a === undefined || b === undefined || dt <= 0) return "-";
  return ((Number(b - a) / dt) * 100).toFixed(2);
}

/** `--seconds`: 0 to 600, default 1. */
export function parseSampleSeconds(raw: string | undefined): number {
  const seconds = raw === undefined ? 1 : Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > 600) throw new UsageError(`--seconds must be 0 to 600, got "${raw}"`);
  return seconds;
}

/** Samples twice, `seconds` apart (once when 0); the first sample comes back keyed by id. */
export async function twoSamples<T>(seconds: number, sample: () => Promise<T[]>, idOf: (t: T) => string | undefined): Promise<{ first: Map<string | undefined, T>; second: T[] }> {
  if (seconds === 0) return { first: new Map(), second: await sample() };
  const first = new Map((await sample()).map((s) => [idOf(s), s]));
  await Bun.sleep(seconds * 1000);
  return { first, second: await sample() };
}

/** `cpuPercentOf` for two container stats samples. */
export const cpuPercent = (before: ContainerStats | undefined, after: ContainerStats): string => cpuPercentOf(before?.cpu, after.cpu);

/**
 * `skiff stats`: ListContainerStats, like `crictl stats`: CPU % (from two samples
 * `--seconds` apart, since a runtime need not give a rate), memory working set, and the
 * writable layer's size and inodes.
 */
export const statsCommand = defineCommand({
  meta: { name: "stats", description: "show containers' resource usage (ListContainerStats)" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const seconds = parseSampleSeconds(a.seconds);
    const filter: MessageInitShape<typeof ContainerStatsFilterSchema> = { labelSelector: parseLabels(manyValues(a.label)) };
    await withClient(a, async (client) => {
      if (a.pod) filter.podSandboxId = await resolvePodId(client, a.pod);
      const sample = async () => (await client.runtime.listContainerStats({ filter })).stats.filter((s) => !a.id || s.attributes?.id.startsWith(a.id));
      const { first, second: stats } = await twoSamples(seconds, sample, (s) => s.attributes?.id);
      if ((a.output ?? "table") !== "table") {
        print({ stats: stats.map((s) => protoJson(ContainerStatsSchema, s)) }, a);
        return;
      }
      const rows = stats.map((s) => [
        (s.attributes?.id ?? "").slice(0, SHORT_ID_LENGTH),
        s.attributes?.metadata?.name ?? "",
        cpuPercent(first.get(s.attributes?.id), s),
        s.memory?.workingSetBytes ? humanSize(s.memory.workingSetBytes.value) : "-",
        s.writableLayer?.usedBytes ? humanSize(s.writableLayer.usedBytes.value) : "-",
        s.writableLayer?.inodesUsed ? String(s.writableLayer.inodesUsed.value) : "-",
      ]);
      console.log(renderTable(["CONTAINER", "NAME", "CPU %", "MEM", "DISK", "INODES"], rows));
    });
  },
});
