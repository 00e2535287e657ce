import { defineCommand } from "citty";
import { UsageError } from "./client-args.ts";
import { podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  timeout: { type: "string" as const, description: "seconds the command may run (0: no limit)", default: "0" },
  container: { type: "positional" as const, description: "container id (or unique prefix)", required: true },
  command: { type: "positional" as const, description: "the command and its arguments", required: true },
};

/** Flags of exec that take a value, by every name they go by. */
const VALUE_FLAGS = new Set(["--timeout", "--endpoint", "-r", "--runtime-endpoint"]);

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

/** The flag values, parsed from the flag words alone so the command's words cannot set them. */
function flagValues(flags: readonly string[]): { timeout: string; endpoint?: string } {
  const out: { timeout: string; endpoint?: string } = { timeout: "0" };
  for (let i = 0; i < flags.length; i++) {
    const [name = "", inline] = (flags[i] as string).split(/=(.*)/s);
    const value = inline ?? flags[i + 1];
    if (inline === undefined && VALUE_FLAGS.has(name)) i++;
    if (value === undefined) continue;
    if (name === "--timeout") out.timeout = value;
    else if (VALUE_FLAGS.has(name)) out.endpoint = value;
  }
  return out;
}

/**
 * `skiff exec [--timeout S] ID CMD [ARG...]`: ExecSync, like `crictl exec` without -it:
 * prints the command's stdout and stderr to ours and exits with its exit code.
 */
export const execCommand = defineCommand({
  meta: { name: "exec", description: "run a command in a container and wait for it (ExecSync)" },
  args,
  async run({ rawArgs }) {
    const { flags, id: prefix, command } = splitExecArgs(rawArgs);
    checkArgs(flags, args, { max: 0 });
    if (command.length === 0) throw new UsageError("missing command");
    const v = flagValues(flags);
    if (!/^\d+$/.test(v.timeout)) throw new UsageError(`--timeout "${v.timeout}": expected whole seconds`);
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
  },
});
