import { defineCommand } from "citty";
import { ContainerConfigSchema, PodSandboxConfigSchema } from "../gen/runtime/v1/api_pb.ts";
import { readCriConfig } from "./cri-config-file.ts";
import { podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolvePodId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  timeout: { ...podConnectionArgs.timeout, default: "240" },
  pod: { type: "positional" as const, description: "pod sandbox id (or unique prefix)", required: true },
  container: { type: "positional" as const, description: "container config (crictl's container.json)", required: true },
  podConfig: { type: "positional" as const, description: "the pod's config (crictl's pod.json)", required: true },
  withPull: { type: "boolean" as const, description: "pull the image first when the runtime does not have it" },
};

/**
 * `skiff create POD ctr.json pod.json`: CreateContainer, like `crictl create`; prints
 * the container id. CreateContainer takes the pod's config again (api.proto), hence
 * the second file.
 */
export const createCommand = defineCommand({
  meta: { name: "create", description: "create a container in a pod (CreateContainer)" },
  args,
  async run({ args: a, rawArgs }) {
    const [pod, ctrFile, podFile] = checkArgs(rawArgs, args, { min: 3, max: 3, what: "argument" }) as [string, string, string];
    const config = readCriConfig(ContainerConfigSchema, ctrFile);
    const sandboxConfig = readCriConfig(PodSandboxConfigSchema, podFile);
    await withClient(a, async (client) => {
      const podSandboxId = await resolvePodId(client, pod);
      if (a.withPull && config.image) {
        const have = await client.image.imageStatus({ image: config.image });
        if (!have.image) await client.image.pullImage({ image: config.image, sandboxConfig });
      }
      const res = await client.runtime.createContainer({ podSandboxId, config, sandboxConfig });
      console.log(res.containerId);
    });
  },
});
