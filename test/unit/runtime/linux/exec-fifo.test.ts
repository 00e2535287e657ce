import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startThroughExecFifo } from "../../../../src/runtime/linux/exec-fifo.ts";
import { processIdentity } from "../../../../src/runtime/linux/process-identity.ts";

const alive = (pid: number) => processIdentity(pid) !== undefined;
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "exec-fifo-"));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function mkfifo(p: string) {
  expect(Bun.spawnSync(["mkfifo", p]).exitCode).toBe(0);
}

describe("startThroughExecFifo", () => {
  test("a waiting init (blocked opening the fifo to write) is released, and the fifo is removed as runc start does", async () => {
    const fifo = path.join(dir, "exec.fifo");
    mkfifo(fifo);
    // Stands in for runc init: blocks in open(O_WRONLY) until a reader comes, writes one byte.
    const init = Bun.spawn(["sh", "-c", `printf 0 > ${fifo}; echo released`], { stdout: "pipe" });
    expect(await startThroughExecFifo(dir, init.pid, alive)).toBe("started");
    expect(await new Response(init.stdout).text()).toBe("released\n");
    expect(fs.existsSync(fifo)).toBe(false);
  });

  test("an init that wrote its byte and then ended at once (a command that exits immediately) was started, not lost", async () => {
    const fifo = path.join(dir, "exec.fifo");
    mkfifo(fifo);
    const init = Bun.spawn(["sh", "-c", `printf 0 > ${fifo}`]);
    // Open only once the writer is gone: its byte waits in the pipe, its pid is dead.
    const reader = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    await init.exited;
    try {
      expect(await startThroughExecFifo(dir, init.pid, alive)).toBe("started");
    } finally {
      fs.closeSync(reader);
    }
  });

  test("without an exec fifo nothing is done and the caller falls back", async () => {
    expect(await startThroughExecFifo(dir, process.pid, alive)).toBe("no-fifo");
    fs.writeFileSync(path.join(dir, "exec.fifo"), "");
    expect(await startThroughExecFifo(dir, process.pid, alive)).toBe("no-fifo");
  });

  test("an init that is gone fails the start instead of waiting forever", async () => {
    mkfifo(path.join(dir, "exec.fifo"));
    const gone = Bun.spawn(["true"]);
    await gone.exited;
    await expect(startThroughExecFifo(dir, gone.pid, alive)).rejects.toThrow("exited before it was started");
  });
});
