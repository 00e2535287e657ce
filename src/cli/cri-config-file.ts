/**
 * Reads crictl's pod.json / ctr.json: the proto JSON form of PodSandboxConfig and
 * ContainerConfig (snake_case names, as crictl's examples use, and camelCase both
 * accepted by protobuf's JSON mapping). Unknown keys are refused rather than dropped,
 * so a typo such as "comand" is reported instead of running a container without its
 * command. Every failure is a UsageError (exit 2) that names the file and the field.
 */
import * as fs from "node:fs";
import { type DescMessage, type MessageShape, fromJson } from "@bufbuild/protobuf";
import { UsageError } from "./client-args.ts";

/**
 * protobuf-es names the message and field at fault (`cannot decode field
 * runtime.v1.PodSandboxMetadata.attempt from JSON: expected number ...`), which is
 * what a user needs to find the line; only the package prefix is dropped.
 */
export function describeDecodeError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/runtime\.v1\./g, "");
}

/** Parses the text of a config file; `file` is only used in messages. */
export function parseCriConfig<Desc extends DescMessage>(schema: Desc, text: string, file: string): MessageShape<Desc> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw new UsageError(`${file}: expected a JSON object (${schema.name})`);
  }
  try {
    return fromJson(schema, json as never);
  } catch (err) {
    throw new UsageError(`${file}: ${describeDecodeError(err)}`);
  }
}

/** Reads and parses a config file; a missing or unreadable file is a usage error too. */
export function readCriConfig<Desc extends DescMessage>(schema: Desc, file: string): MessageShape<Desc> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(`${file}: cannot read${code ? ` (${code})` : ""}`);
  }
  return parseCriConfig(schema, text, file);
}
