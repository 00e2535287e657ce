import { defineCommand } from "citty";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type PodSandboxFilterSchema, PodSandboxSchema } from "../gen/runtime/v1/api_pb.ts";
import { print } from "./client-args.ts";
import { manyValues, parseLabels, parsePattern, parsePodState } from "./list-filters.ts";
import { podClientArgs, withClient } from "./pod-client-args.ts";
import { POD_TABLE_HEADERS, podTableRows } from "./pod-rows.ts";
import { protoJson } from "./proto-json.ts";
import { checkArgs } from "./strict-args.ts";
import { renderTable } from "./table.ts";

const args = {
  ...podClientArgs,
  id: { type: "string" as const, description: "only pods whose id starts with this" },
  name: { type: "string" as const, description: "only pods whose name matches this regular expression" },
  namespace: { type: "string" as const, description: "only pods whose namespace matches this regular expression" },
  label: { type: "string" as const, description: "only pods with this label (key=value; repeatable)" },
  state: { type: "string" as const, alias: "s", description: "only pods in this state: ready or notready" },
  quiet: { type: "boolean" as const, alias: "q", description: "print pod ids only" },
};

/**
 * `skiff pods`: ListPodSandbox, like `crictl pods`, newest first. Id, state and labels
 * go to the runtime as a filter; name and namespace are matched here, as crictl does.
 */
export const podsCommand = defineCommand({
  meta: { name: "pods", description: "list pod sandboxes (ListPodSandbox)" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const filter: MessageInitShape<typeof PodSandboxFilterSchema> = { labelSelector: parseLabels(manyValues(a.label)) };
    // A prefix is matched here: runtimes differ on whether the id filter takes prefixes.
    if (a.id && /^[0-9a-f]{64}$/.test(a.id)) filter.id = a.id;
    if (a.state) filter.state = { state: parsePodState(a.state) };
    const name = parsePattern("name", a.name);
    const namespace = parsePattern("namespace", a.namespace);
    await withClient(a, async (client) => {
      const { items } = await client.runtime.listPodSandbox({ filter });
      const pods = items
        .filter((p) => (a.id ? p.id.startsWith(a.id) : true))
        .filter((p) => !name || name.test(p.metadata?.name ?? ""))
        .filter((p) => !namespace || namespace.test(p.metadata?.namespace ?? ""))
        .sort((x, y) => (x.createdAt === y.createdAt ? 0 : x.createdAt > y.createdAt ? -1 : 1));
      if (a.quiet) for (const p of pods) console.log(p.id);
      else if ((a.output ?? "table") === "table") console.log(renderTable(POD_TABLE_HEADERS, podTableRows(pods)));
      else print({ items: pods.map((p) => protoJson(PodSandboxSchema, p)) }, a);
    });
  },
});
