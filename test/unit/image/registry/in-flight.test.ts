import { describe, expect, test } from "bun:test";
import { createInFlight } from "../../../../src/image/registry/in-flight.ts";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

describe("createInFlight", () => {
  test("concurrent runs with one key share one piece of work", async () => {
    const inFlight = createInFlight<number>();
    const g = gate();
    let runs = 0;
    const work = async () => {
      runs++;
      await g.opened;
      return 42;
    };
    const a = inFlight.run("k", work);
    const b = inFlight.run("k", work);
    const c = inFlight.run("other", async () => 7);
    g.open();
    expect(await Promise.all([a, b, c])).toEqual([42, 42, 7]);
    expect(runs).toBe(1);
    expect(inFlight.keys()).toEqual([]);
  });

  test("a failure reaches every waiter, and the next run starts afresh", async () => {
    const inFlight = createInFlight<number>();
    const fail = async () => {
      throw new Error("boom");
    };
    const results = await Promise.allSettled([inFlight.run("k", fail), inFlight.run("k", fail)]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await inFlight.run("k", async () => 1)).toBe(1);
  });

  test("one waiter cancelling leaves the work running for the other", async () => {
    const inFlight = createInFlight<string>();
    const g = gate();
    let workSignal!: AbortSignal;
    const work = async (s: AbortSignal) => {
      workSignal = s;
      await g.opened;
      return "done";
    };
    const impatient = new AbortController();
    const a = inFlight.run("k", work, impatient.signal);
    const b = inFlight.run("k", work, new AbortController().signal);
    impatient.abort(new Error("kubelet gave up"));
    await expect(a).rejects.toThrow("kubelet gave up");
    expect(workSignal.aborted).toBe(false);
    g.open();
    expect(await b).toBe("done");
  });

  test("when every waiter cancels the work is aborted", async () => {
    const inFlight = createInFlight<string>();
    let workSignal!: AbortSignal;
    const work = (s: AbortSignal) => {
      workSignal = s;
      return new Promise<string>((_, reject) => s.addEventListener("abort", () => reject(s.reason)));
    };
    const x = new AbortController();
    const y = new AbortController();
    const a = inFlight.run("k", work, x.signal);
    const b = inFlight.run("k", work, y.signal);
    x.abort(new Error("x"));
    y.abort(new Error("y"));
    await expect(a).rejects.toThrow("x");
    await expect(b).rejects.toThrow("y");
    expect(workSignal.aborted).toBe(true);
    expect(inFlight.keys()).toEqual([]);
  });
});
