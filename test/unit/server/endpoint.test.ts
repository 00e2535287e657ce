import { describe, expect, test } from "bun:test";
import { InvalidArgumentError } from "../../../src/errors.ts";
import { formatEndpoint, parseEndpoint } from "../../../src/server/endpoint.ts";

describe("parseEndpoint", () => {
  const ok = [
    { desc: "a unix URL gives its path", raw: "unix:///run/skiff/skiff.sock", want: { kind: "unix", path: "/run/skiff/skiff.sock" } },
    { desc: "a bare absolute path is a unix socket", raw: "/run/containerd/containerd.sock", want: { kind: "unix", path: "/run/containerd/containerd.sock" } },
    { desc: "an npipe URL with four slashes gives the Win32 pipe path", raw: "npipe:////./pipe/skiff", want: { kind: "npipe", path: "\\\\.\\pipe\\skiff" } },
    { desc: "an npipe URL with two slashes is accepted too", raw: "npipe://./pipe/containerd-containerd", want: { kind: "npipe", path: "\\\\.\\pipe\\containerd-containerd" } },
    { desc: "a Win32 pipe path is accepted as is", raw: "\\\\.\\pipe\\skiff", want: { kind: "npipe", path: "\\\\.\\pipe\\skiff" } },
  ] as const;
  for (const tc of ok) {
    test(tc.desc, () => {
      expect(parseEndpoint(tc.raw)).toEqual(tc.want);
    });
  }

  const bad = [
    { desc: "a TCP URL is refused", raw: "tcp://127.0.0.1:1234" },
    { desc: "a relative unix path is refused", raw: "unix://run/x.sock" },
    { desc: "a relative bare path is refused", raw: "run/x.sock" },
    { desc: "an npipe URL without a pipe name is refused", raw: "npipe:////./pipe/" },
  ];
  for (const tc of bad) {
    test(tc.desc, () => {
      expect(() => parseEndpoint(tc.raw, "server.socket")).toThrow(InvalidArgumentError);
      expect(() => parseEndpoint(tc.raw, "server.socket")).toThrow(/server\.socket/);
    });
  }

  test("formatEndpoint turns both kinds back into URLs", () => {
    expect(formatEndpoint(parseEndpoint("/a/b.sock"))).toBe("unix:///a/b.sock");
    expect(formatEndpoint(parseEndpoint("npipe:////./pipe/skiff"))).toBe("npipe:////./pipe/skiff");
  });
});
