import { defineCommand } from "citty";
import { UsageError } from "./client-args.ts";
import { podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";
import { parseTransport, runStreamSession } from "./stream-session.ts";

const args = {
  ...podConnectionArgs,
  stdin: { type: "boolean" as const, alias: ["i"], description: "pass stdin to the command" },
  tty: { type: "boolean" as const, alias: ["t"], description: "run the command in a terminal (raw mode, resized with ours)" },
  sync: { type: "boolean" as const, description: "run with ExecSync: wait, then print its output (as crictl exec without -i/-t)" },
  transport: { type: "string" as const, description: "streaming transport: spdy (default) or websocket" },
  timeout: { type: "string" as const, description: "with --sync: seconds the command may run (0: no limit)", default: "0" },
  container: { type: "positional" as const, description: "container id (or unique prefix)", required: true },
  command: { type: "positional" as const, description: "the command and its arguments", required: true },
};

/** Flags of exec that take a value, by every name they go by. */
const VALUE_FLAGS = new Set(["--timeout", "--endpoint", "-r", "--runtime-endpoint", "--transport"]);

/**
 * Splits `exec [flags] ID cmd args...` at the container id: the words after it are the
 * command's own, even when they look like flags (`sh -c 'exit 3'`), as crictl exec and
 * Go's flag package treat them. Returns the flag words, the id and the command.
 */
export function splitExecArgs(rawArgs: readonly string[]): { flags: string[]; id: string; command: string[] } {
  const flags: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const w = rawArgs[i] as string;
    if (w === "--") {
      const [id, ...command] = rawArgs.slice(i + 1);
      if (id === undefined) break;
      return { flags, id, command };
    }
    if (w.startsWith("-") && w.length > 1) {
      flags.push(w);
      if (VALUE_FLAGS.has(w) && i + 1 < rawArgs.length) flags.push(rawArgs[++i] as string);
      continue;
    }
    return { flags, id: w, command: rawArgs.slice(i + 1) };
  }
  throw new UsageError("missing container id");
}

export type ExecFlags = { timeout: string; endpoint?: string; transport?: string; stdin: boolean; tty: boolean; sync: boolean };

/** The flag values, parsed from the flag words alone so the command's words cannot set them. */
export function flagValues(flags: readonly string[]): ExecFlags {
  const out: ExecFlags = { timeout: "0", stdin: false, tty: false, sync: false };
  for (let i = 0; i < flags.length; i++) {
    const word = flags[i] as string;
    if (/^-[a-z]{2,}$/.test(word)) {
      // a cluster of short booleans: -it
      if (word.includes("i")) out.stdin = true;
      if (word.includes("t")) out.tty = true;
      continue;
    }
    const [name = "", inline] = word.split(/=(.*)/s);
    if (name === "-i" || name === "--stdin") out.stdin = inline !== "false";
    else if (name === "-t" || name === "--tty") out.tty = inline !== "false";
    else if (name === "--sync") out.sync = inline !== "false";
    if (!VALUE_FLAGS.has(name)) continue;
    const value = inline ?? flags[++i];
    if (value === undefined) continue;
    if (name === "--timeout") out.timeout = value;
    else if (name === "--transport") out.transport = value;
    else out.endpoint = value;
  }
  return out;
}

/**
 * `skiff exec [-i] [-t] [--transport spdy|websocket] ID CMD [ARG...]`: Exec, streamed
 * (kubectl exec's path); exits with the command's exit code. `--sync [--timeout S]` runs
 * ExecSync instead and prints the output when the command is done, as crictl exec does.
 */
export const execCommand = defineCommand({
  meta: { name: "exec", description: "run a command in a container (Exec, streamed; --sync for ExecSync)" },
  args,
  async run({ rawArgs }) {
    const { flags, id: prefix, command } = splitExecArgs(rawArgs);
    checkArgs(flags, args, { max: 0 });
    if (command.length === 0) throw new UsageError("missing command");
    const v = flagValues(flags);
    if (!/^\d+$/.test(v.timeout)) throw new UsageError(`--timeout "${v.timeout}": expected whole seconds`);
    if (v.sync) return execSync(v, prefix, command);
    if (v.timeout !== "0") throw new UsageError("--timeout applies to --sync only");
    const transport = parseTransport(v.transport);
    const url = await withClient({ endpoint: v.endpoint }, async (client) => {
      const containerId = await resolveContainerId(client, prefix);
      const res = await client.runtime.exec({ containerId, cmd: command, tty: v.tty, stdin: v.stdin, stdout: true, stderr: !v.tty });
      return res.url;
    });
    const code = await runStreamSession(url, transport, { stdin: v.stdin, stdout: true, stderr: !v.tty, tty: v.tty });
    process.exit(code);
  },
});

async function execSync(v: ExecFlags, prefix: string, command: string[]): Promise<void> {
  const seconds = Number(v.timeout);
  // The RPC deadline: the command's own limit plus room for the runtime, or a day when unlimited.
  const deadline = String(seconds > 0 ? seconds + 30 : 24 * 3600);
  const res = await withClient({ endpoint: v.endpoint, timeout: deadline }, async (client) => {
    const containerId = await resolveContainerId(client, prefix);
    return client.runtime.execSync({ containerId, cmd: command, timeout: BigInt(seconds) });
  });
  if (res.stdout.length > 0) await Bun.write(Bun.stdout, res.stdout);
  if (res.stderr.length > 0) await Bun.write(Bun.stderr, res.stderr);
  // The command's status is ours; main() would otherwise exit 0.
  if (res.exitCode !== 0) process.exit(res.exitCode);
}
