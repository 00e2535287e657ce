#!/usr/bin/env bun
/**
 * The project's test command (`bun run test`): typecheck, build every binary (the
 * integration tests run the compiled linux one), then `bun test` over unit and
 * integration tests. Ends with one summary line `tests: N passed, M failed`.
 * Extra arguments go to `bun test` (e.g. a path filter).
 */
import * as path from "node:path";
import { TARGETS, type Target, buildTarget } from "./build-binary.ts";

const root = path.resolve(import.meta.dir, "..");

async function run(cmd: string[], label: string): Promise<void> {
  const proc = Bun.spawn(cmd, { cwd: root, stdout: "inherit", stderr: "inherit" });
  if ((await proc.exited) !== 0) {
    console.error(`${label} failed`);
    process.exit(1);
  }
}

await run([path.join(root, "node_modules/.bin/tsc"), "--noEmit", "-p", "."], "typecheck");
for (const target of Object.keys(TARGETS) as Target[]) {
  const started = performance.now();
  await buildTarget(target);
  console.log(`built ${TARGETS[target].out} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

// bun test prints its summary on stderr; pass everything through and read the counts.
// Integration tests start the compiled binary and real daemons; give each test room.
const proc = Bun.spawn([process.execPath, "test", "--timeout", "60000", ...process.argv.slice(2)], {
  cwd: root,
  stdout: "inherit",
  stderr: "pipe",
  env: { ...process.env, SKIFF_BIN: path.join(root, "dist", TARGETS["linux-x64"].out) },
});
let tail = "";
const decoder = new TextDecoder();
for await (const chunk of proc.stderr) {
  const text = decoder.decode(chunk, { stream: true });
  process.stderr.write(text);
  tail = (tail + text).slice(-4096);
}
const code = await proc.exited;
const passed = Number(/^\s*(\d+) pass$/m.exec(tail)?.[1] ?? 0);
const failed = Number(/^\s*(\d+) fail$/m.exec(tail)?.[1] ?? 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(code !== 0 ? code : passed === 0 ? 1 : 0);
