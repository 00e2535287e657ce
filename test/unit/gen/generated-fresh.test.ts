// Fails when src/gen no longer matches what `buf generate` makes from proto/
// with the committed buf.gen.yaml, i.e. someone edited the proto (or the
// generated code, or bumped protoc-gen-es) without regenerating.
//
// It regenerates into a temporary directory (`buf generate -o <tmp>` prefixes
// every `out` of the template), so the committed src/gen is never touched.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../../..");
/** The `out` of the single plugin in buf.gen.yaml. */
const GEN_DIR = "src/gen";
const BUF = join(ROOT, "node_modules", ".bin", process.platform === "win32" ? "buf.exe" : "buf");

/** Every regular file under `dir`, as sorted '/'-separated paths relative to it. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    out.push(relative(dir, join(entry.parentPath, entry.name)).split("\\").join("/"));
  }
  return out.sort();
}

let scratch = "";
let freshDir = "";

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), "skiff-gen-"));
  const run = Bun.spawnSync([BUF, "generate", "--output", scratch], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if (run.exitCode !== 0) {
    throw new Error(`buf generate failed (exit ${run.exitCode}):\n${run.stderr.toString()}${run.stdout.toString()}`);
  }
  freshDir = join(scratch, GEN_DIR);
});

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe(`${GEN_DIR} is what buf generate produces`, () => {
  const committedDir = join(ROOT, GEN_DIR);
  const hint = "run `bun run generate` and commit src/gen";

  test("same set of files", () => {
    const fresh = listFiles(freshDir);
    expect(fresh.length).toBeGreaterThan(0);
    expect(listFiles(committedDir), hint).toEqual(fresh);
  });

  test("every file has the same content", () => {
    const stale = listFiles(freshDir).filter((file) => {
      let committed: string;
      try {
        committed = readFileSync(join(committedDir, file), "utf8");
      } catch {
        return true;
      }
      return committed !== readFileSync(join(freshDir, file), "utf8");
    });
    expect(stale, hint).toEqual([]);
  });
});
