/**
 * What the streaming server serves and what it needs from the rest of skiff: the stored
 * CRI requests (a URL's token stands for one), and the back end that runs them.
 */
import type { ProcessIo } from "../runtime/process-io.ts";
import type { DialedConn } from "./portforward/splice.ts";

export type ExecStreamRequest = { kind: "exec"; containerId: string; cmd: string[]; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean };
export type AttachStreamRequest = { kind: "attach"; containerId: string; tty: boolean; stdin: boolean; stdout: boolean; stderr: boolean };
export type PortForwardStreamRequest = { kind: "portforward"; podSandboxId: string; ports: number[] };
export type StreamingRequest = ExecStreamRequest | AttachStreamRequest | PortForwardStreamRequest;

/**
 * Runs what a connection asks for. `signal` aborts when the client goes away: the back end
 * must then end what it started (kill an exec'd process) and return.
 */
export interface StreamingBackend {
  /** Resolves with the process's exit code. */
  exec(req: ExecStreamRequest, io: ProcessIo, signal: AbortSignal): Promise<number>;
  /** Resolves when the container's output ended or the client detached. */
  attach(req: AttachStreamRequest, io: ProcessIo, signal: AbortSignal): Promise<void>;
  /** Dials `port` on the pod's loopback, inside its network namespace. */
  dial(podSandboxId: string, port: number): Promise<DialedConn>;
}
