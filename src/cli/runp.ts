import { defineCommand } from "citty";
import { PodSandboxConfigSchema } from "../gen/runtime/v1/api_pb.ts";
import { readCriConfig } from "./cri-config-file.ts";
import { podConnectionArgs, withClient } from "./pod-client-args.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  // RunPodSandbox may pull the sandbox image and set up the network: allow more than 10 s
  timeout: { ...podConnectionArgs.timeout, default: "240" },
  config: { type: "positional" as const, description: "pod sandbox config (crictl's pod.json)", required: true },
  runtime: { type: "string" as const, description: "runtime handler (default: the runtime's default)" },
};

/** `skiff runp pod.json`: RunPodSandbox, like `crictl runp`; prints the pod id. */
export const runpCommand = defineCommand({
  meta: { name: "runp", description: "run a pod sandbox (RunPodSandbox)" },
  args,
  async run({ args: a, rawArgs }) {
    const [file] = checkArgs(rawArgs, args, { min: 1, max: 1, what: "pod config file" }) as [string];
    const config = readCriConfig(PodSandboxConfigSchema, file);
    await withClient(a, async (client) => {
      const res = await client.runtime.runPodSandbox({ config, runtimeHandler: a.runtime ?? "" });
      console.log(res.podSandboxId);
    });
  },
});
