import { describe, expect, test } from "bun:test";
import { CONTROL, STATE, serviceCallbacks, serviceStatus, serviceTable } from "../../../src/platform/windows/service-control.ts";
import { readWide } from "../../../src/platform/windows/marshal.ts";
import { text } from "./fake-dlls.ts";

/** A fake advapi32 recording each SetServiceStatus as (state, accepted, exit code, check point). */
function fakeAdvapi() {
  const statuses: number[][] = [];
  const registered: unknown[] = [];
  return {
    statuses,
    registered,
    advapi: {
      RegisterServiceCtrlHandlerExW: (name: unknown, handler: unknown, ctx: unknown) => (registered.push([text(name as Buffer), handler, ctx]), 0x77n),
      SetServiceStatus: (h: unknown, s: unknown) => {
        const b = s as Buffer;
        expect(h).toBe(0x77n);
        expect(b.readUInt32LE(0)).toBe(0x10);
        statuses.push([b.readUInt32LE(4), b.readUInt32LE(8), b.readUInt32LE(12), b.readUInt32LE(20)]);
        return 1;
      },
    },
  };
}

describe("the Service Control Manager protocol", () => {
  test("ServiceMain registers the handler, reports START_PENDING, then RUNNING accepting STOP and SHUTDOWN", async () => {
    const f = fakeAdvapi();
    const cb = serviceCallbacks("skiff", f.advapi, 0x1234, { start: async () => {}, stop: async () => {}, onError: (e) => { throw e; } });
    await cb.serviceMain();
    expect(f.registered).toEqual([["skiff", 0x1234n, null]]);
    expect(f.statuses).toEqual([
      [STATE.startPending, 0, 0, 1],
      [STATE.running, 0x5, 0, 0],
    ]);
  });

  test("STOP reports STOP_PENDING, stops the daemon, then STOPPED; a second STOP does nothing more", async () => {
    const f = fakeAdvapi();
    let stopped = 0;
    const cb = serviceCallbacks("skiff", f.advapi, 1, { start: async () => {}, stop: async () => void stopped++, onError: () => {} });
    await cb.serviceMain();
    expect(cb.handler(CONTROL.stop)).toBe(0);
    expect(cb.handler(CONTROL.shutdown)).toBe(0);
    await Bun.sleep(0);
    expect(stopped).toBe(1);
    expect(f.statuses.slice(2)).toEqual([
      [STATE.stopPending, 0, 0, 2],
      [STATE.stopped, 0, 0, 0],
    ]);
    expect(cb.handler(CONTROL.interrogate)).toBe(0);
    expect(cb.handler(10)).toBe(120); // ERROR_CALL_NOT_IMPLEMENTED
  });

  test("a daemon that fails to start is reported STOPPED with an exit code", async () => {
    const f = fakeAdvapi();
    const errors: unknown[] = [];
    const cb = serviceCallbacks("skiff", f.advapi, 1, { start: async () => { throw new Error("no pipe"); }, stop: async () => {}, onError: (e) => errors.push(e) });
    await cb.serviceMain();
    expect(f.statuses.at(-1)).toEqual([STATE.stopped, 0, 1, 0]);
    expect(String(errors[0])).toContain("no pipe");
  });

  test("SERVICE_STATUS and SERVICE_TABLE_ENTRYW have their Win32 layouts", () => {
    const s = serviceStatus(STATE.running, { accepted: 5, waitHintMs: 30000, checkPoint: 3 });
    expect([...new Uint32Array(s.buffer, s.byteOffset, 7)]).toEqual([0x10, 4, 5, 0, 0, 3, 30000]);
    const { table } = serviceTable("skiff", 0xabcdn);
    expect(readWide(table.readBigUInt64LE(0))).toBe("skiff");
    expect(table.readBigUInt64LE(8)).toBe(0xabcdn);
    expect(table.readBigUInt64LE(16)).toBe(0n);
  });
});
