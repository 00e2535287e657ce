import { UsageError } from "./usage-error.ts";
import { DEFAULT_ENDPOINT } from "../config/index.ts";
import { type CriClient, createCriClient } from "./cri-client.ts";
import { OUTPUT_FORMATS, type OutputFormat, render } from "./output.ts";

/** Flags shared by every verb that talks to a CRI endpoint. */
export const clientArgs = {
  endpoint: {
    type: "string" as const,
    description: `CRI endpoint (unix:///path or npipe:////./pipe/name); env SKIFF_ENDPOINT; default ${DEFAULT_ENDPOINT}`,
  },
  timeout: { type: "string" as const, description: "per-call timeout in seconds", default: "10" },
  output: {
    type: "enum" as const,
    alias: "o",
    options: [...OUTPUT_FORMATS] as string[],
    description: "output format",
    default: "table",
  },
};

type ClientArgValues = { endpoint?: string; timeout?: string; output?: string };

/** The endpoint to use and whether the user chose it (flag or env) or it is the default. */
export function chosenEndpoint(args: ClientArgValues): { endpoint: string; explicit: boolean } {
  const explicit = args.endpoint ?? process.env.SKIFF_ENDPOINT;
  return { endpoint: explicit ?? DEFAULT_ENDPOINT, explicit: explicit !== undefined };
}

/** Opens a client from the shared flags; the caller must `close()` it. */
export function clientFrom(args: ClientArgValues): CriClient {
  const seconds = Number(args.timeout ?? "10");
  if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout must be a positive number of seconds`);
  return createCriClient(chosenEndpoint(args).endpoint, { timeoutMs: seconds * 1000 });
}

/** Prints a value in the format the user asked for. */
export function print(value: unknown, args: ClientArgValues): void {
  console.log(render(value, (args.output ?? "table") as OutputFormat));
}

export { UsageError };
