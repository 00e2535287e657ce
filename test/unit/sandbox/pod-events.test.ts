import { describe, expect, test } from "bun:test";
import { type PodEvent, PodEvents } from "../../../src/sandbox/pod-events.ts";

const ev = (id: string, type: PodEvent["type"] = "created"): PodEvent => ({ id, sandboxId: "s", type, at: 1n });

describe("PodEvents", () => {
  test("every subscriber gets every event, in order, including those emitted before it reads", async () => {
    const bus = new PodEvents();
    const a = bus.subscribe();
    const b = bus.subscribe();
    bus.emit(ev("1"));
    bus.emit(ev("2", "started"));
    expect([(await a.next())?.id, (await a.next())?.id]).toEqual(["1", "2"]);
    expect((await b.next())?.type).toBe("created");
    a.close();
    b.close();
  });

  test("a reader waiting for an event wakes when one comes", async () => {
    const bus = new PodEvents();
    const s = bus.subscribe();
    const got = s.next();
    setTimeout(() => bus.emit(ev("late")), 10);
    expect((await got)?.id).toBe("late");
    s.close();
  });

  test("aborting or closing ends the wait and unsubscribes", async () => {
    const bus = new PodEvents();
    const s = bus.subscribe();
    const ac = new AbortController();
    const got = s.next(ac.signal);
    ac.abort();
    expect(await got).toBeUndefined();
    s.close();
    expect(bus.subscribers).toBe(0);
    bus.emit(ev("nobody"));
  });

  test("a full queue drops the oldest events and counts them", async () => {
    const bus = new PodEvents();
    const s = bus.subscribe(2);
    for (const id of ["1", "2", "3"]) bus.emit(ev(id));
    expect(s.dropped).toBe(1);
    expect([(await s.next())?.id, (await s.next())?.id]).toEqual(["2", "3"]);
    s.close();
  });
});
