/**
 * Processes a killed skiff left working on an object: `runc create`/`runc run` carry the
 * container id on their command line, CNI plugins carry it as CNI_CONTAINERID in their
 * environment. They outlive skiff (kill -9 does not reach its children), so recovery
 * waits for them before it undoes a half-made pod or container: undoing first would
 * let a `runc run` still under way make an infra process after the undo.
 * conmon is not waited for: it names the id too, but it lives as long as the container.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const LONG_LIVED = new Set(["conmon"]);

/** Pids whose command line or environment mentions `id`, but for the long-lived monitors. */
export function processesMentioning(id: string, procRoot = "/proc"): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const read = (f: string) => {
      try {
        return fs.readFileSync(path.join(procRoot, e, f), "latin1");
      } catch {
        return "";
      }
    };
    if (LONG_LIVED.has(read("comm").trim())) continue;
    const cmdline = read("cmdline").split("\0");
    if (cmdline.includes(id) || read("environ").split("\0").includes(`CNI_CONTAINERID=${id}`)) out.push(Number(e));
  }
  return out;
}

/** How long recovery waits for a half-made object's runtime and plugin processes. */
export const STRAGGLER_WAIT_MS = 30_000;

/**
 * Recovery's wait before undoing `id`: until no process works on it any more, or
 * `timeoutMs` passed (logged); says which it was.
 */
export async function settleStragglers(
  id: string,
  log: { info(...a: unknown[]): void; warn(...a: unknown[]): void },
  timeoutMs = STRAGGLER_WAIT_MS,
  procRoot = "/proc",
): Promise<"gone" | "timeout"> {
  let pids = processesMentioning(id, procRoot);
  if (pids.length === 0) return "gone";
  log.info(`waiting for processes still working on "${id}" (pids ${pids.join(", ")}) before undoing it`);
  const until = Date.now() + timeoutMs;
  while (pids.length > 0) {
    if (Date.now() >= until) {
      log.warn(`processes still work on "${id}" after ${timeoutMs} ms; undoing it anyway`);
      return "timeout";
    }
    await Bun.sleep(50);
    pids = processesMentioning(id, procRoot);
  }
  return "gone";
}
