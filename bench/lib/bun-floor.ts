/**
 * Compiles bun-floor-server.ts with the flags skiff is compiled with and runs it like a
 * daemon: socket and log in one temp dir, removed after stop.
 */
import * as path from "node:path";
import { COMPILE_FLAGS } from "../../scripts/build-binary.ts";
import { makeTempDir, type RunningDaemon, spawnDaemon } from "./daemon.ts";

const SOURCE = path.join(import.meta.dir, "bun-floor-server.ts");

export async function startBunFloor(): Promise<RunningDaemon> {
  const dir = makeTempDir("bun-floor");
  const binary = path.join(dir, "bun-floor-server");
  const built = Bun.spawnSync([process.execPath, "build", ...COMPILE_FLAGS, SOURCE, "--outfile", binary], { stdout: "pipe", stderr: "pipe" });
  if (built.exitCode !== 0) throw new Error(`bun build of the floor server failed (${built.exitCode}):\n${built.stdout}${built.stderr}`);
  const socketPath = path.join(dir, "floor.sock");
  return spawnDaemon({ name: "bun-floor", argv: [binary, socketPath], dir, socketPath });
}
