import { defineCommand } from "citty";
import { podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";
import { parseTransport, runStreamSession } from "./stream-session.ts";

const args = {
  ...podConnectionArgs,
  stdin: { type: "boolean" as const, alias: ["i"], description: "pass stdin to the container" },
  tty: { type: "boolean" as const, alias: ["t"], description: "the container has a terminal: raw mode, resized with ours" },
  transport: { type: "string" as const, description: "streaming transport: spdy (default) or websocket" },
  container: { type: "positional" as const, description: "container id (or unique prefix)", required: true },
};

/**
 * `skiff attach [-i] [-t] ID`: Attach, streamed: the container's output until it exits
 * or we leave (Ctrl-C without -t); leaving does not stop the container.
 */
export const attachCommand = defineCommand({
  meta: { name: "attach", description: "attach to a running container's main process (Attach)" },
  args,
  async run({ rawArgs, args: a }) {
    const [prefix] = checkArgs(rawArgs, args, { min: 1, max: 1, what: "container id" }) as [string];
    const transport = parseTransport(a.transport);
    const tty = a.tty === true;
    const stdin = a.stdin === true;
    const url = await withClient(a, async (client) => {
      const containerId = await resolveContainerId(client, prefix);
      return (await client.runtime.attach({ containerId, stdin, tty, stdout: true, stderr: !tty })).url;
    });
    await runStreamSession(url, transport, { stdin, tty, stdout: true, stderr: !tty });
    process.exit(0);
  },
});
