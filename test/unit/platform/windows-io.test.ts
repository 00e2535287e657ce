import { describe, expect, test } from "bun:test";
import { ptr } from "bun:ffi";
import { HKEY_LOCAL_MACHINE, readOsVersion } from "../../../src/platform/windows/os-facts.ts";
import { PIPE_SDDL, restrictPipeDacl } from "../../../src/platform/windows/pipe-acl.ts";
import { PipePoller } from "../../../src/platform/windows/pipe-poller.ts";
import { text } from "./fake-dlls.ts";

const ERROR_BROKEN_PIPE = 109;

/** A kernel32 whose pipes are byte queues; a pipe whose writer is gone fails PeekNamedPipe. */
function fakePipes() {
  const pipes = new Map<bigint, { data: number[]; closed: boolean }>();
  let lastError = 0;
  const k32 = {
    PeekNamedPipe: (h: unknown, _b: unknown, _n: number, _r: unknown, avail: unknown) => {
      const p = pipes.get(h as bigint);
      if (!p || (p.closed && p.data.length === 0)) {
        lastError = ERROR_BROKEN_PIPE;
        return 0;
      }
      (avail as Uint32Array)[0] = p.data.length;
      return 1;
    },
    ReadFile: (h: unknown, buf: unknown, n: number, got: unknown) => {
      const p = pipes.get(h as bigint)!;
      const chunk = p.data.splice(0, n);
      (buf as Buffer).set(chunk);
      (got as Uint32Array)[0] = chunk.length;
      return 1;
    },
    GetLastError: () => lastError,
  };
  return { pipes, k32 };
}

describe("PipePoller", () => {
  test("reads what waits in a pipe, never more, and ends when the writer is gone", async () => {
    const { pipes, k32 } = fakePipes();
    pipes.set(0x32n, { data: [...Buffer.from("hello\r\n")], closed: false });
    const poller = new PipePoller(k32, 1_000_000);
    const r = poller.reader(0x32);
    poller.poll();
    expect(new TextDecoder().decode((await r.read())!)).toBe("hello\r\n");
    poller.poll(); // nothing new: no read, no end
    pipes.get(0x32n)!.data.push(...Buffer.from("bye"));
    pipes.get(0x32n)!.closed = true;
    poller.poll();
    expect(new TextDecoder().decode((await r.read())!)).toBe("bye");
    poller.poll();
    expect(await r.read()).toBeNull();
  });

  test("a reader waiting for data gets it as soon as it is polled", async () => {
    const { pipes, k32 } = fakePipes();
    pipes.set(0x40n, { data: [], closed: false });
    const poller = new PipePoller(k32, 1_000_000);
    const r = poller.reader(0x40);
    const pending = r.read();
    pipes.get(0x40n)!.data.push(65);
    poller.poll();
    expect([...(await pending)!]).toEqual([65]);
    r.close();
    expect(await r.read()).toBeNull();
  });
});

describe("restrictPipeDacl", () => {
  test("opens the pipe for WRITE_DAC and sets a protected DACL from the SDDL, freeing what it made", () => {
    const events: unknown[][] = [];
    const sd = Buffer.alloc(8);
    const sdPtr = BigInt(ptr(sd));
    restrictPipeDacl(
      {
        kernel32: {
          CreateFileW: (name, access, share, sa, disposition, flags, template) => {
            events.push(["CreateFileW", text(name), access, share, sa, disposition, flags, template]);
            return 0x77n;
          },
          CloseHandle: (h) => (events.push(["CloseHandle", h]), 1),
          LocalFree: (p) => (events.push(["LocalFree", p]), null),
          GetLastError: () => 0,
        },
        advapi32: {
          ConvertStringSecurityDescriptorToSecurityDescriptorW: (s, rev, out, size) => {
            events.push(["Convert", text(s), rev, size]);
            (out as BigUint64Array)[0] = sdPtr;
            return 1;
          },
          GetSecurityDescriptorDacl: (p, present, dacl) => {
            events.push(["GetDacl", p]);
            (present as Int32Array)[0] = 1;
            (dacl as BigUint64Array)[0] = 0xdac1n;
            return 1;
          },
          SetSecurityInfo: (h, type, info, owner, group, dacl, sacl) => (events.push(["SetSecurityInfo", h, type, info, owner, group, dacl, sacl]), 0),
        },
      },
      "\\\\.\\pipe\\skiff",
      PIPE_SDDL,
    );
    expect(events).toEqual([
      ["Convert", "D:P(A;;GA;;;SY)(A;;GA;;;BA)", 1, null],
      ["GetDacl", sdPtr],
      ["CreateFileW", "\\\\.\\pipe\\skiff", 0x00060000, 0, null, 3, 0, null],
      ["SetSecurityInfo", 0x77n, 6, 0x80000004, null, null, 0xdac1n, null],
      ["CloseHandle", 0x77n],
      ["LocalFree", sdPtr],
    ]);
  });

  test("a pipe that cannot be opened fails naming CreateFileW and the pipe", () => {
    const call = () =>
      restrictPipeDacl(
        {
          kernel32: { CreateFileW: () => 0xffffffffffffffffn, CloseHandle: () => 1, LocalFree: () => null, GetLastError: () => 5 },
          advapi32: {
            ConvertStringSecurityDescriptorToSecurityDescriptorW: (_s, _r, out) => (((out as BigUint64Array)[0] = 1n), 1),
            GetSecurityDescriptorDacl: () => 1,
            SetSecurityInfo: () => 0,
          },
        },
        "\\\\.\\pipe\\skiff",
        PIPE_SDDL,
      );
    expect(call).toThrow('CreateFileW "\\\\.\\pipe\\skiff": EACCES (win32 error 5 ERROR_ACCESS_DENIED)');
  });
});

describe("readOsVersion", () => {
  test("is RtlGetVersion's major.minor.build with the UBR from the registry", () => {
    let key: unknown;
    const v = readOsVersion(
      {
        RtlGetVersion: (info) => {
          const b = info as Buffer;
          expect(b.readUInt32LE(0)).toBe(276);
          b.writeUInt32LE(10, 4);
          b.writeUInt32LE(0, 8);
          b.writeUInt32LE(20348, 12);
          return 0;
        },
      },
      {
        RegGetValueW: (hkey, sub, value, flags, _type, data, size) => {
          key = [hkey, text(sub), text(value), flags, (size as Uint32Array)[0]];
          (data as Uint32Array)[0] = 2340;
          return 0;
        },
      },
    );
    expect(v).toBe("10.0.20348.2340");
    expect(key).toEqual([HKEY_LOCAL_MACHINE, "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", "UBR", 0x10, 4]);
  });
});
