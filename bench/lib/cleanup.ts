/**
 * A process-wide list of things to undo (daemons to stop, temp dirs to remove) when a
 * benchmark ends early: Ctrl-C, SIGTERM, or an error nobody caught. Helpers register
 * themselves the moment they spawn a child, so even a start that is still waiting for
 * readiness gets cleaned up.
 */

type Undo = { label: string; run: () => Promise<void> | void };

const pending = new Set<Undo>();
let installed = false;
let exiting = false;
let inFlight: Promise<void> | undefined;

/** True once SIGINT/SIGTERM arrived: errors after that are the interruption's echo. */
export function interrupted(): boolean {
  return exiting;
}

/** Registers an undo step; the returned function removes it (call it once you undid it yourself). */
export function onCleanup(label: string, run: () => Promise<void> | void): () => void {
  installSignalHandlers();
  const entry: Undo = { label, run };
  pending.add(entry);
  return () => {
    pending.delete(entry);
  };
}

/** Runs every registered step, newest first; failures are reported, never thrown. */
export async function runCleanups(): Promise<void> {
  // Someone (the signal handler, say) is already at it: wait for that instead.
  if (inFlight) return inFlight;
  inFlight = runSteps().finally(() => {
    inFlight = undefined;
  });
  return inFlight;
}

async function runSteps(): Promise<void> {
  const steps = [...pending].reverse();
  pending.clear();
  for (const step of steps) {
    try {
      await step.run();
    } catch (err) {
      console.error(`cleanup "${step.label}" failed:`, err);
    }
  }
}

function installSignalHandlers(): void {
  if (installed) return;
  installed = true;
  const bail = (sig: NodeJS.Signals) => {
    if (exiting) return;
    exiting = true;
    console.error(`\n${sig}: stopping daemons and removing temp dirs...`);
    // Give cleanup a bounded time; a second signal or the timer forces the exit.
    const force = setTimeout(() => process.exit(130), 15_000);
    runCleanups().finally(() => {
      clearTimeout(force);
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  };
  process.on("SIGINT", bail);
  process.on("SIGTERM", bail);
}

/**
 * Runs a bench's main: an error is printed and everything registered undone before exit
 * code 1; after Ctrl-C the signal handler is already undoing it all and exits itself.
 */
export function runBench(main: () => Promise<void>): void {
  main().catch(async (err) => {
    if (interrupted()) {
      await runCleanups();
      await new Promise(() => {});
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    await runCleanups();
    process.exit(1);
  });
}
