import * as fs from "node:fs";
import { defineCommand } from "citty";
import { ContainerState } from "../gen/runtime/v1/api_pb.ts";
import { FailedPreconditionError } from "../errors.ts";
import { UsageError } from "./client-args.ts";
import type { CriClient } from "./cri-client.ts";
import { type LogLine, createCriLogDecoder, formatLogLine, lastLines } from "./cri-log.ts";
import { podConnectionArgs, withClient } from "./pod-client-args.ts";
import { resolveContainerId } from "./resolve-id.ts";
import { checkArgs } from "./strict-args.ts";

const args = {
  ...podConnectionArgs,
  container: { type: "positional" as const, description: "container id (or unique prefix)", required: true },
  follow: { type: "boolean" as const, alias: "f", description: "keep printing new lines until the container exits" },
  tail: { type: "string" as const, description: "only the last N lines (-1: all)", default: "-1" },
  timestamps: { type: "boolean" as const, alias: "t", description: "prefix each line with its time" },
};

/** How often -f looks for new bytes, and how often it asks whether the container still runs. */
const POLL_MS = 200;
const STATUS_EVERY_MS = 1000;

function parseTail(raw: string): number {
  if (!/^-?\d+$/.test(raw)) throw new UsageError(`--tail "${raw}": expected a whole number`);
  return Number(raw);
}

/** Writes stdout lines to stdout and stderr lines to stderr, one write per stream. */
async function emit(lines: LogLine[], timestamps: boolean): Promise<void> {
  let out = "";
  let err = "";
  for (const l of lines) {
    if (l.stream === "stderr") err += formatLogLine(l, timestamps);
    else out += formatLogLine(l, timestamps);
  }
  if (out) await Bun.write(Bun.stdout, out);
  if (err) await Bun.write(Bun.stderr, err);
}

/** Reads the bytes of `fd` from `offset` to its current end. */
function readFrom(fd: number, offset: number): Uint8Array {
  const size = fs.fstatSync(fd).size;
  if (size <= offset) return new Uint8Array(0);
  const buf = Buffer.alloc(size - offset);
  let got = 0;
  while (got < buf.length) {
    const n = fs.readSync(fd, buf, got, buf.length - got, offset + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

async function stillRunning(client: CriClient, containerId: string): Promise<boolean> {
  try {
    const { status } = await client.runtime.containerStatus({ containerId });
    return status?.state === ContainerState.CONTAINER_RUNNING || status?.state === ContainerState.CONTAINER_CREATED;
  } catch {
    return false; // removed meanwhile: nothing more will be written
  }
}

/**
 * `skiff logs [-f] [--tail N] [-t] ID`: like `crictl logs`, reads the container's CRI
 * log file straight from disk at the path ContainerStatus reports (so it must run on the
 * node, as root or the log's owner), joins partial records, and sends each line to the
 * stream the container wrote it to. -f polls the file and stops once the container is
 * no longer running (or on Ctrl-C). A truncated file is read again from its start; a
 * file rotated away (renamed, then a new one made) is not followed to the new file.
 */
export const logsCommand = defineCommand({
  meta: { name: "logs", description: "print a container's log (reads the CRI log file)" },
  args,
  async run({ args: a, rawArgs }) {
    const [prefix] = checkArgs(rawArgs, args, { min: 1, max: 1, what: "container id" }) as [string];
    const tail = parseTail(a.tail ?? "-1");
    const timestamps = Boolean(a.timestamps);
    await withClient(a, async (client) => {
      const containerId = await resolveContainerId(client, prefix);
      const { status } = await client.runtime.containerStatus({ containerId });
      const logPath = status?.logPath ?? "";
      if (!logPath) throw new FailedPreconditionError(`container "${containerId}" has no log path`);
      const fd = fs.openSync(logPath, "r");
      try {
        const decoder = createCriLogDecoder();
        const text = new TextDecoder();
        let offset = 0;
        let bytes = readFrom(fd, offset);
        offset += bytes.length;
        const first = decoder.push(text.decode(bytes, { stream: true }));
        if (!a.follow) {
          await emit(lastLines([...first, ...decoder.end()], tail), timestamps);
          return;
        }
        await emit(lastLines(first, tail), timestamps);
        let lastCheck = 0;
        let running = true;
        for (;;) {
          await Bun.sleep(POLL_MS);
          if (Date.now() - lastCheck >= STATUS_EVERY_MS) {
            lastCheck = Date.now();
            running = await stillRunning(client, containerId);
          }
          if (fs.fstatSync(fd).size < offset) offset = 0; // truncated: start over
          bytes = readFrom(fd, offset);
          offset += bytes.length;
          await emit(decoder.push(text.decode(bytes, { stream: true })), timestamps);
          if (!running) break;
        }
        await emit(decoder.push(text.decode()).concat(decoder.end()), timestamps);
      } finally {
        fs.closeSync(fd);
      }
    });
  },
});
