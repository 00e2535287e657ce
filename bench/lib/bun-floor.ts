/**
 * Compiles bun-floor-server.ts with the flags skiff is compiled with and runs it like a
 * daemon: socket and log in one temp dir, removed after stop. It runs with the
 * JavaScriptCore settings skiff's daemon gives itself (src/cli/daemon-jit.ts), so the two
 * differ in what they run, not in how the engine runs it.
 */
import * as path from "node:path";
import { compile } from "../../scripts/build-binary.ts";
import { DAEMON_JSC_ENV } from "../../src/cli/daemon-jit.ts";
import { makeTempDir, type RunningDaemon, spawnDaemon } from "./daemon.ts";

const SOURCE = path.join(import.meta.dir, "bun-floor-server.ts");

export async function startBunFloor(): Promise<RunningDaemon> {
  const dir = makeTempDir("bun-floor");
  const binary = path.join(dir, "bun-floor-server");
  await compile([SOURCE], binary);
  const socketPath = path.join(dir, "floor.sock");
  return spawnDaemon({ name: "bun-floor", argv: [binary, socketPath], dir, socketPath, env: { ...DAEMON_JSC_ENV } });
}
