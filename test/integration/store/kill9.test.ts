/**
 * DESIGN.md rule 4: a `kill -9` of skiff at any moment loses no committed transaction
 * and leaves no half-written one. A child process writes sandboxes with their
 * containers in transactions as fast as it can; we SIGKILL it at a random moment,
 * reopen the same database and check it. Needs no root; it is an integration test
 * because it spawns processes.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, SCHEMA_VERSION } from "../../../src/store/index.ts";

const WRITER = join(import.meta.dir, "writer.ts");
const ROUNDS = 5;

/** Runs the writer until it says "ready", waits `delayMs`, kills it, returns its full output. */
async function runAndKill(dbPath: string, round: number, delayMs: number): Promise<string[]> {
  const child = Bun.spawn([process.execPath, WRITER, dbPath, String(round)], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  let out = "";
  let killTimer: Timer | undefined;
  const reader = child.stdout.getReader();
  const deadline = setTimeout(() => child.kill("SIGKILL"), 10_000); // a writer that never gets ready
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += decoder.decode(value, { stream: true });
    if (killTimer === undefined && out.includes("\nready\n")) {
      killTimer = setTimeout(() => child.kill("SIGKILL"), delayMs);
    }
  }
  clearTimeout(deadline);
  await child.exited;
  const stderr = await new Response(child.stderr).text();
  if (killTimer === undefined) throw new Error(`writer never got ready: ${stderr}`);
  expect(child.signalCode).toBe("SIGKILL");
  // A line cut short by the kill has no newline; drop it.
  const lines = out.split("\n");
  lines.pop();
  return lines;
}

describe("store after kill -9", () => {
  test(`${ROUNDS} rounds of SIGKILL mid-write leave a consistent store with every reported commit`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "skiff-kill9-"));
    const dbPath = join(dir, "state", "skiff.db");
    // What the writers reported, over all rounds.
    const committed = new Set<string>();
    const deleting = new Set<string>();
    const deleted = new Set<string>();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const delay = 50 + Math.floor(Math.random() * 251);
        const lines = await runAndKill(dbPath, round, delay);
        for (const line of lines) {
          const [verb, id = ""] = line.split(" ");
          if (verb === "commit") committed.add(id);
          else if (verb === "deleting") deleting.add(id);
          else if (verb === "deleted") deleted.add(id);
        }

        const store = openStore(dbPath);
        try {
          expect(store.schemaVersion).toBe(SCHEMA_VERSION);
          const db = store.db;
          expect(db.query("PRAGMA integrity_check").all()).toEqual([{ integrity_check: "ok" }]);
          expect(db.query("PRAGMA foreign_key_check").all()).toEqual([]);

          const wrongCount = db
            .query(
              `SELECT s.id, count(c.id) AS n FROM sandboxes s LEFT JOIN containers c ON c.sandbox_id = s.id
               GROUP BY s.id HAVING n != 5`,
            )
            .all();
          expect(wrongCount).toEqual([]);
          const orphans = db
            .query("SELECT c.id FROM containers c LEFT JOIN sandboxes s ON s.id = c.sandbox_id WHERE s.id IS NULL")
            .all();
          expect(orphans).toEqual([]);

          const present = new Set(store.sandboxes.list().map((s) => s.id));
          expect(store.runtimeState.get("counter")).toBe(String(present.size));

          const lost = [...committed].filter((id) => !present.has(id) && !deleting.has(id));
          expect(lost).toEqual([]);
          const resurrected = [...deleted].filter((id) => present.has(id));
          expect(resurrected).toEqual([]);
          // The round did real work before it was killed.
          expect(lines.filter((l) => l.startsWith(`commit sb-${round}-`)).length).toBeGreaterThan(0);
        } finally {
          store.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 15_000);
});
