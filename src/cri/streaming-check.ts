/** Checks shared by Exec, Attach and PortForward before a URL is handed out. */
import { FailedPreconditionError, InvalidArgumentError, NotSupportedError } from "../errors.ts";
import type { ContainerRecord } from "../store/index.ts";
import type { CriContext, Pods } from "./context.ts";

/** The streaming server, or Unimplemented when it is not running. */
export function streamingServer(ctx: CriContext): NonNullable<CriContext["streaming"]> {
  if (!ctx.streaming) throw new NotSupportedError("the streaming server (exec, attach, port-forward) is not running");
  return ctx.streaming;
}

/**
 * The stream options of an exec or attach: at least one stream, and no stderr with a tty
 * (a terminal has one output), as the kubelet's streaming library requires.
 */
export function checkStreamOptions(req: { tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean }): void {
  if (req.tty && req.stderr) throw new InvalidArgumentError("stderr", "tty and stderr cannot both be true: a terminal has one output");
  if (!req.stdin && !req.stdout && !req.stderr) throw new InvalidArgumentError("stdin", "one of stdin, stdout or stderr must be set");
}

/** The container for an id or prefix, which must be running. @throws NotFoundError, FailedPreconditionError */
export async function runningContainer(pods: Pods, idOrPrefix: string): Promise<ContainerRecord> {
  const rec = await pods.containers.get(idOrPrefix);
  if (rec.state !== "running") throw new FailedPreconditionError(`container "${rec.id}" is ${rec.state}, not running`);
  return rec;
}
