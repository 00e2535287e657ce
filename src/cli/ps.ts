import { defineCommand } from "citty";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type ContainerFilterSchema, ContainerSchema, ContainerState } from "../gen/runtime/v1/api_pb.ts";
import { print } from "./client-args.ts";
import { CONTAINER_TABLE_HEADERS, containerTableRows } from "./container-rows.ts";
import { imageMatches, manyValues, parseContainerState, parseLabels, parsePattern } from "./list-filters.ts";
import { podClientArgs, withClient } from "./pod-client-args.ts";
import { protoJson } from "./proto-json.ts";
import { resolvePodId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";
import { renderTable } from "./table.ts";

const args = {
  ...podClientArgs,
  all: { type: "boolean" as const, alias: "a", description: "show every container, not only running ones" },
  pod: { type: "string" as const, alias: "p", description: "only containers of this pod (id or unique prefix)" },
  id: { type: "string" as const, description: "only containers whose id starts with this" },
  name: { type: "string" as const, description: "only containers whose name matches this regular expression" },
  label: { type: "string" as const, description: "only containers with this label (key=value; repeatable)" },
  state: { type: "string" as const, alias: "s", description: "only containers in this state: created, running, exited, unknown" },
  image: { type: "string" as const, description: "only containers of this image (name, ref or id prefix)" },
  quiet: { type: "boolean" as const, alias: "q", description: "print container ids only" },
};

/**
 * `skiff ps`: ListContainers, like `crictl ps`: running containers unless -a or
 * --state says otherwise, newest first, with the pod's name looked up for the POD column.
 */
export const psCommand = defineCommand({
  meta: { name: "ps", description: "list containers (ListContainers)" },
  args,
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, args, { max: 0 });
    const filter: MessageInitShape<typeof ContainerFilterSchema> = { labelSelector: parseLabels(manyValues(a.label)) };
    // A prefix is matched here: runtimes differ on whether the id filter takes prefixes.
    if (a.id && /^[0-9a-f]{64}$/.test(a.id)) filter.id = a.id;
    if (a.state) filter.state = { state: parseContainerState(a.state) };
    else if (!a.all) filter.state = { state: ContainerState.CONTAINER_RUNNING };
    const name = parsePattern("name", a.name);
    await withClient(a, async (client) => {
      if (a.pod) filter.podSandboxId = await resolvePodId(client, a.pod);
      const res = await client.runtime.listContainers({ filter });
      const containers = res.containers
        .filter((c) => (a.id ? c.id.startsWith(a.id) : true))
        .filter((c) => !name || name.test(c.metadata?.name ?? ""))
        .filter((c) => !a.image || imageMatches(c.image?.image ?? "", c.imageRef, a.image))
        .sort((x, y) => (x.createdAt === y.createdAt ? 0 : x.createdAt > y.createdAt ? -1 : 1));
      if (a.quiet) {
        for (const c of containers) console.log(c.id);
      } else if ((a.output ?? "table") === "table") {
        const { items } = await client.runtime.listPodSandbox({});
        const podNames = new Map(items.map((p) => [p.id, p.metadata?.name ?? ""]));
        console.log(renderTable(CONTAINER_TABLE_HEADERS, containerTableRows(containers, podNames)));
      } else {
        print({ containers: containers.map((c) => protoJson(ContainerSchema, c)) }, a);
      }
    });
  },
});
