import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { processesMentioning, settleStragglers } from "../../../src/runtime/stragglers.ts";

const proc = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-proc-"));
afterAll(() => fs.rmSync(proc, { recursive: true, force: true }));

function fakeProcess(pid: number, comm: string, cmdline: string[], environ: string[] = []): void {
  const d = path.join(proc, String(pid));
  fs.mkdirSync(d, { recursive: true });
  fs.writeFileSync(path.join(d, "comm"), `${comm}\n`);
  fs.writeFileSync(path.join(d, "cmdline"), `${cmdline.join("\0")}\0`);
  fs.writeFileSync(path.join(d, "environ"), `${environ.join("\0")}\0`);
}

describe("stragglers", () => {
  fakeProcess(10, "runc", ["/usr/sbin/runc", "--root", "/r", "run", "--detach", "--bundle", "/b", "sb1"]);
  fakeProcess(11, "bridge", ["/usr/lib/cni/bridge"], ["CNI_COMMAND=ADD", "CNI_CONTAINERID=sb1"]);
  fakeProcess(12, "conmon", ["/usr/bin/conmon", "-c", "sb1"]);
  fakeProcess(13, "runc", ["/usr/sbin/runc", "run", "sb10"]);
  fs.mkdirSync(path.join(proc, "self"), { recursive: true });

  test("finds runtime calls by their argument and plugins by CNI_CONTAINERID, never conmon or a longer id", () => {
    expect(processesMentioning("sb1", proc).sort()).toEqual([10, 11]);
  });

  test("waits until they are gone, or gives up at the deadline", async () => {
    setTimeout(() => {
      fs.rmSync(path.join(proc, "10"), { recursive: true });
      fs.rmSync(path.join(proc, "11"), { recursive: true });
    }, 80);
    const said: string[] = [];
    const log = { info: (m: string) => said.push(m), warn: (m: string) => said.push(m) };
    expect(await settleStragglers("sb1", log, 2000, proc)).toBe("gone");
    expect(await settleStragglers("sb10", log, 120, proc)).toBe("timeout");
    expect(said.some((m) => m.includes('processes still work on "sb10"'))).toBe(true);
  });
});
