/**
 * Test harness for integration tests: starts the compiled skiff binary on a temporary
 * socket, root and state dir, and gives a @grpc/grpc-js client built from proto/ (not
 * skiff's generated code), so the CRI is checked the way a kubelet would see it.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { Subprocess } from "bun";

export const REPO = path.resolve(import.meta.dir, "../..");

/** The binary under test: $SKIFF_BIN, else dist/skiff-linux-x64 (built by the test command). */
export function skiffBinary(): string {
  const bin = process.env.SKIFF_BIN ?? path.join(REPO, "dist/skiff-linux-x64");
  if (!fs.existsSync(bin)) throw new Error(`${bin} is missing: run \`bun scripts/build-binary.ts linux-x64\` first`);
  return bin;
}

const packageDefinition = protoLoader.loadSync(path.join(REPO, "proto/runtime/v1/api.proto"), {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});
const runtimeV1 = (grpc.loadPackageDefinition(packageDefinition) as any).runtime.v1;
const skiffDefinition = protoLoader.loadSync(path.join(REPO, "proto/skiff/v1/skiff.proto"), {
  keepCase: true,
  longs: String,
  defaults: true,
});
const skiffV1 = (grpc.loadPackageDefinition(skiffDefinition) as any).skiff.v1;

/**
 * grpc-js decodes `grpc-message` with decodeURI, which leaves %2F and %3A as they are;
 * grpc-go (the kubelet, crictl) decodes every percent escape. Decode the rest here so
 * tests read the message a kubelet would log.
 */
function fullyDecoded(err: grpc.ServiceError): grpc.ServiceError {
  try {
    err.details = decodeURIComponent(err.details);
  } catch {
    // not percent-encoded after all
  }
  return err;
}

/** A grpc-js client for one service, with promise-returning unary calls. */
export type GrpcClient = {
  raw: grpc.Client;
  call<T = Record<string, unknown>>(method: string, request?: object, deadlineMs?: number): Promise<T>;
  stream<T = Record<string, unknown>>(method: string, request?: object): Promise<T[]>;
  /** A client-streaming call: sends every message, then waits for the one response. */
  send<T = Record<string, unknown>>(method: string, requests: Iterable<object>): Promise<T>;
  close(): void;
};

export function grpcClient(socket: string, service: "RuntimeService" | "ImageService" | "SkiffImages"): GrpcClient {
  const Ctor = service === "SkiffImages" ? skiffV1.Images : runtimeV1[service];
  const raw: grpc.Client = new Ctor(`unix://${socket}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": 64 * 1024 * 1024,
    "grpc.max_send_message_length": 64 * 1024 * 1024,
  });
  return {
    raw,
    call(method, request = {}, deadlineMs = 10_000) {
      return new Promise((resolve, reject) => {
        (raw as any)[method](request, { deadline: Date.now() + deadlineMs }, (err: grpc.ServiceError | null, res: any) =>
          err ? reject(fullyDecoded(err)) : resolve(res),
        );
      });
    },
    stream(method, request = {}) {
      return new Promise((resolve, reject) => {
        const out: any[] = [];
        const s = (raw as any)[method](request, { deadline: Date.now() + 10_000 });
        s.on("data", (d: any) => out.push(d));
        s.on("error", (e: grpc.ServiceError) => reject(fullyDecoded(e)));
        s.on("end", () => resolve(out));
      });
    },
    send(method, requests) {
      return new Promise((resolve, reject) => {
        const call = (raw as any)[method]({ deadline: Date.now() + 60_000 }, (err: grpc.ServiceError | null, res: any) =>
          err ? reject(fullyDecoded(err)) : resolve(res),
        );
        for (const r of requests) call.write(r);
        call.end();
      });
    },
    close: () => raw.close(),
  };
}

/** Every method name of a service, from the proto (what a kubelet could call). */
export function serviceMethods(service: "RuntimeService" | "ImageService"): { name: string; serverStream: boolean }[] {
  const def = packageDefinition[`runtime.v1.${service}`] as Record<string, { responseStream: boolean }>;
  return Object.entries(def).map(([name, m]) => ({ name, serverStream: m.responseStream }));
}

export type Daemon = {
  dir: string;
  socket: string;
  root: string;
  state: string;
  configPath: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  runtime: GrpcClient;
  image: GrpcClient;
  /** skiff's own skiff.v1.Images service. */
  skiff: GrpcClient;
  /** Everything the daemon printed so far (stdout + stderr). */
  output(): string;
  /** SIGTERM and wait; returns the exit code. */
  stop(): Promise<number>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
};

/**
 * Writes a config file for a daemon living entirely under `dir`. Unless `extra` has its
 * own [cni] table, CNI configs are read from (and never written to) `<dir>/cni`, so a
 * test daemon neither touches the host's /etc/cni nor makes bridges.
 */
export function writeConfig(dir: string, extra = "", serverExtra = ""): string {
  const configPath = path.join(dir, "config.toml");
  const cni = extra.includes("[cni]") ? "" : `\n[cni]\nconf_dir = "${path.join(dir, "cni")}"\nwrite_default = false\n`;
  fs.writeFileSync(
    configPath,
    `[server]\nsocket = "${path.join(dir, "run/skiff.sock")}"\nlog_level = "debug"\nshutdown_timeout = "3s"\n${serverExtra}\n` +
      `[paths]\nroot = "${path.join(dir, "root")}"\nstate = "${path.join(dir, "state")}"\n${cni}${extra}`,
  );
  return configPath;
}

/** Waits until the socket accepts a Version call, or the process dies, or time runs out. */
async function waitReady(d: Daemon, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (d.proc.exitCode !== null) throw new Error(`skiff exited with ${d.proc.exitCode}:\n${d.output()}`);
    if (fs.existsSync(d.socket)) {
      try {
        await d.runtime.call("Status", {}, 1000);
        return;
      } catch {
        // not ready yet
      }
    }
    await Bun.sleep(50);
  }
  throw new Error(`skiff did not become ready in ${timeoutMs}ms:\n${d.output()}`);
}

export type StartDaemonOptions = {
  /** A dir of an earlier daemon, with its config.toml, to test restarts. */
  reuseDir?: string;
  /** More config; a function gets the daemon's dir (for paths inside it). */
  extraConfig?: string | ((dir: string) => string);
  /** Lines for the config's [server] table, e.g. `metrics_address = "..."`. */
  serverConfig?: string;
  /** Another skiff binary (an installed one) instead of the one under test. */
  binary?: string;
  /** A config file of the test's own (with `socket`, the socket it names); `reuseDir` then holds nothing else. */
  configPath?: string;
  socket?: string;
  /** More `skiff serve` flags. */
  args?: string[];
  /** Runs on the dir before the daemon starts. */
  setup?: (dir: string) => void;
  /** More environment for the daemon. */
  env?: Record<string, string>;
};

/** Starts skiff with a fresh temp dir (or `reuseDir`, to test restarts). */
export async function startDaemon(opts: StartDaemonOptions = {}): Promise<Daemon> {
  const dir = opts.reuseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "skiff-it-"));
  const extra = typeof opts.extraConfig === "function" ? opts.extraConfig(dir) : opts.extraConfig;
  const configPath = opts.configPath ?? (opts.reuseDir ? path.join(dir, "config.toml") : writeConfig(dir, extra, opts.serverConfig));
  const socket = opts.socket ?? path.join(dir, "run/skiff.sock");
  opts.setup?.(dir);
  const proc = Bun.spawn([opts.binary ?? skiffBinary(), "serve", "--config", configPath, ...(opts.args ?? [])], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
  });
  let text = "";
  const drain = async (s: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    for await (const chunk of s) text += dec.decode(chunk);
  };
  void drain(proc.stdout);
  void drain(proc.stderr);
  const d: Daemon = {
    dir,
    socket,
    root: path.join(dir, "root"),
    state: path.join(dir, "state"),
    configPath,
    proc,
    runtime: grpcClient(socket, "RuntimeService"),
    image: grpcClient(socket, "ImageService"),
    skiff: grpcClient(socket, "SkiffImages"),
    output: () => text,
    async stop() {
      d.runtime.close();
      d.image.close();
      d.skiff.close();
      proc.kill("SIGTERM");
      return proc.exited;
    },
    async kill() {
      d.runtime.close();
      d.image.close();
      d.skiff.close();
      proc.kill("SIGKILL");
      await proc.exited;
    },
  };
  try {
    await waitReady(d);
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  return d;
}

/** Runs the skiff CLI and collects its result. */
export async function runCli(args: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn([skiffBinary(), ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

export const isRoot = process.getuid?.() === 0;
