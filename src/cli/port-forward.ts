import { defineCommand } from "citty";
import { UsageError } from "./client-args.ts";
import { podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolvePodId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";
import { parseTransport } from "./stream-session.ts";
import { type Forward, startPortForward } from "../streaming/client/port-forward-client.ts";

const args = {
  ...podConnectionArgs,
  address: { type: "string" as const, description: "local address to listen on", default: "127.0.0.1" },
  transport: { type: "string" as const, description: "streaming transport: spdy (default) or websocket" },
  pod: { type: "positional" as const, description: "pod id (or unique prefix)", required: true },
  ports: { type: "positional" as const, description: "LOCAL:REMOTE, REMOTE (same port) or :REMOTE (any free local port)", required: true },
};

/** `8080:80` → 8080→80, `80` → 80→80, `:80` → a free port→80. Pure. */
export function parsePortSpec(spec: string, address: string): Forward {
  const m = /^(\d*):(\d+)$|^(\d+)$/.exec(spec);
  const local = m?.[3] ?? m?.[1];
  const remote = Number(m?.[3] ?? m?.[2]);
  const localPort = local === undefined || local === "" ? 0 : Number(local);
  if (!m || !(remote >= 1 && remote <= 65535) || localPort > 65535) throw new UsageError(`port "${spec}": expected LOCAL:REMOTE, REMOTE or :REMOTE with ports from 1 to 65535`);
  return { address, local: localPort, remote };
}

/**
 * `skiff port-forward POD LOCAL:REMOTE...`: PortForward, streamed; listens on the local
 * ports until interrupted, as kubectl port-forward does.
 */
export const portForwardCommand = defineCommand({
  meta: { name: "port-forward", description: "forward local ports to a pod (PortForward)" },
  args,
  async run({ rawArgs, args: a }) {
    const [prefix, ...specs] = checkArgs(rawArgs, args, { min: 2, what: "argument" }) as [string, ...string[]];
    const transport = parseTransport(a.transport);
    const forwards = specs.map((s) => parsePortSpec(s, a.address ?? "127.0.0.1"));
    const podSandboxId = await withClient(a, (client) => resolvePodId(client, prefix));
    // Over WebSocket each connection needs a URL of its own (a URL serves once).
    const nextUrl = (ports: number[]) => withClient(a, async (client) => (await client.runtime.portForward({ podSandboxId, port: ports })).url);
    const pf = await startPortForward(transport, nextUrl, forwards, (line) => console.error(line));
    for (const p of pf.ports) console.log(`Forwarding from ${a.address}:${p.local} -> ${p.remote}`);
    const stop = () => pf.stop();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    await pf.done;
    process.exit(0);
  },
});
