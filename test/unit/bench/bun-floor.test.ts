/**
 * bench/rpc.ts's floor row is only a floor if it answers what the other rows answer: the
 * canned bytes must decode, through skiff's own CRI client, to a real Version and Status.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type CriClient, createCriClient } from "../../../src/cli/cri-client.ts";

let dir: string;
let server: Bun.Subprocess<"ignore", "pipe", "inherit">;
let client: CriClient;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-floor-"));
  const socket = path.join(dir, "floor.sock");
  server = Bun.spawn([process.execPath, path.join(import.meta.dir, "../../../bench/lib/bun-floor-server.ts"), socket], { stdout: "pipe", stderr: "inherit" });
  // It prints one line once it listens.
  const reader = server.stdout.getReader();
  const first = await reader.read();
  reader.releaseLock();
  expect(new TextDecoder().decode(first.value)).toContain("bun-floor serving on");
  client = createCriClient(`unix://${socket}`, { timeoutMs: 5_000 });
});

afterAll(async () => {
  client?.close();
  server?.kill();
  await server?.exited;
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the floor server answers Version with its name and Bun's version", async () => {
  const v = await client.runtime.version({ version: "v1" });
  expect(v).toMatchObject({ version: "0.1.0", runtimeName: "bun-floor", runtimeVersion: Bun.version, runtimeApiVersion: "v1" });
});

test("the floor server answers Status with both conditions true", async () => {
  const s = await client.runtime.status({});
  expect(s.status?.conditions.map((c) => [c.type, c.status])).toEqual([
    ["RuntimeReady", true],
    ["NetworkReady", true],
  ]);
});

test("the floor server answers the kubelet's other calls with empty messages", async () => {
  expect((await client.image.listImages({})).images).toEqual([]);
  expect((await client.runtime.listPodSandboxStats({})).stats).toEqual([]);
});
