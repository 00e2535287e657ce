import { describe, expect, test } from "bun:test";
import { MAX_IN_FLIGHT, RequestCache } from "../../../src/streaming/request-cache.ts";
import { HttpHeadError, parseRequestHead, parseResponseHead } from "../../../src/streaming/http-head.ts";
import { ProtocolMismatchError, negotiateStreamProtocol } from "../../../src/streaming/stream-protocol.ts";
import { ResizeDecoder } from "../../../src/streaming/remotecommand/resize-decoder.ts";
import { encodeStatus, exitCodeOf, exitCodeStatus, internalErrorStatus, successStatus } from "../../../src/streaming/remotecommand/status.ts";
import { expectedStreams } from "../../../src/streaming/remotecommand/spdy-remote-command.ts";
import { queryPorts } from "../../../src/streaming/portforward/ws-port-forward.ts";
import { acceptKey, pickProtocol } from "../../../src/streaming/websocket/ws-handshake.ts";
import { UnavailableError } from "../../../src/errors.ts";

describe("RequestCache", () => {
  test("a token gives its request once, then nothing", () => {
    const c = new RequestCache<string>(60_000);
    const t = c.insert("a");
    expect(t).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(c.consume(t)).toBe("a");
    expect(c.consume(t)).toBeUndefined();
  });
  test("an expired token gives nothing", () => {
    let now = 1000;
    const c = new RequestCache<string>(60_000, () => now);
    const t = c.insert("a");
    now += 60_001;
    expect(c.consume(t)).toBeUndefined();
  });
  test("an unknown token gives nothing", () => expect(new RequestCache<string>(1000).consume("nope")).toBeUndefined());
  test("tokens differ", () => {
    const c = new RequestCache<number>(1000);
    const seen = new Set(Array.from({ length: 200 }, (_, i) => c.insert(i)));
    expect(seen.size).toBe(200);
  });
  test("more than the in-flight limit is refused, expired ones are dropped first", () => {
    let now = 0;
    const c = new RequestCache<number>(1000, () => now);
    for (let i = 0; i < MAX_IN_FLIGHT; i++) c.insert(i);
    expect(() => c.insert(-1)).toThrow(UnavailableError);
    now = 2000;
    c.insert(1);
    expect(c.size).toBe(1);
  });
});

describe("HTTP heads", () => {
  test("a request head parses with repeated headers kept", () => {
    const r = parseRequestHead("GET /exec/abc?x=1 HTTP/1.1\r\nHost: h\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\nX-Stream-Protocol-Version: v3.channel.k8s.io, channel.k8s.io");
    expect(r.method).toBe("GET");
    expect(r.path).toBe("/exec/abc");
    expect(r.query.get("x")).toBe("1");
    expect(negotiateStreamProtocol(r.headers, ["channel.k8s.io", "v3.channel.k8s.io"])).toBe("v3.channel.k8s.io");
  });
  for (const bad of ["GET /x", "GET /x HTTP/2.0", "get /x HTTP/1.1", "GET /x HTTP/1.1\r\nno colon", "GET /x HTTP/1.1\r\nbad name: v"]) {
    test(`${JSON.stringify(bad)} is refused`, () => expect(() => parseRequestHead(bad)).toThrow(HttpHeadError));
  }
  test("a response head parses", () => expect(parseResponseHead("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1").status).toBe(101));
});

describe("stream protocol negotiation", () => {
  const h = (v?: string) => new Map(v === undefined ? [] : [["x-stream-protocol-version", [v]]]);
  test("no header is a 400", () => expect(() => negotiateStreamProtocol(h(), ["v4.channel.k8s.io"])).toThrow(HttpHeadError));
  test("no protocol in common is a 403 naming the server's", () => {
    try {
      negotiateStreamProtocol(h("v9.channel.k8s.io"), ["v4.channel.k8s.io"]);
      throw new Error("negotiated");
    } catch (err) {
      expect(err).toBeInstanceOf(ProtocolMismatchError);
      expect((err as ProtocolMismatchError).status).toBe(403);
      expect((err as ProtocolMismatchError).serverProtocols).toEqual(["v4.channel.k8s.io"]);
    }
  });
  test("the client's first supported choice wins", () => expect(negotiateStreamProtocol(h("v5.channel.k8s.io, v4.channel.k8s.io, channel.k8s.io"), ["channel.k8s.io", "v4.channel.k8s.io"])).toBe("v4.channel.k8s.io"));
});

describe("WebSocket handshake", () => {
  test("the accept key is RFC 6455's example", () => expect(acceptKey("dGhlIHNhbXBsZSBub25jZQ==")).toBe("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  test("subprotocols: the client's first supported; none offered means \"\" where allowed", () => {
    expect(pickProtocol(["v5.channel.k8s.io", "v4.channel.k8s.io"], ["v4.channel.k8s.io", ""])).toBe("v4.channel.k8s.io");
    expect(pickProtocol([], ["v4.channel.k8s.io", ""])).toBe("");
    expect(pickProtocol([], ["v4.channel.k8s.io"])).toBeUndefined();
    expect(pickProtocol(["v9"], ["v4.channel.k8s.io", ""])).toBeUndefined();
  });
});

describe("ResizeDecoder", () => {
  test("objects back to back, split anywhere, decode in order", () => {
    const d = new ResizeDecoder();
    const text = '{"Width":80,"Height":24}\n{"width":120,"height":40}\n';
    const out = [...text].flatMap((c) => d.push(Buffer.from(c)));
    expect(out).toEqual([{ width: 80, height: 24 }, { width: 120, height: 40 }]);
  });
  for (const bad of ["x", "}", '{"Width":-1,"Height":2}', '{"Width":70000,"Height":2}', `{"a":"${"x".repeat(5000)}"`]) {
    test(`${JSON.stringify(bad.slice(0, 30))} is an error`, () => expect(() => new ResizeDecoder().push(Buffer.from(bad))).toThrow());
  }
});

describe("status", () => {
  test("success is metav1.Status JSON with empty metadata", () => expect(Buffer.from(encodeStatus(successStatus(), 4)!).toString()).toBe('{"metadata":{},"status":"Success"}'));
  test("a non-zero exit carries the code as an ExitCode cause, and reads back", () => {
    const s = exitCodeStatus(3, ["sh", "-c", "exit 3"]);
    expect(s.reason).toBe("NonZeroExitCode");
    expect(s.details?.causes).toEqual([{ reason: "ExitCode", message: "3" }]);
    expect(exitCodeOf(encodeStatus(s, 4)!, 4)).toBe(3);
    expect(exitCodeOf(encodeStatus(successStatus(), 4)!, 4)).toBe(0);
  });
  test("before v4 success writes nothing and a failure writes its message", () => {
    expect(encodeStatus(successStatus(), 3)).toBeUndefined();
    expect(() => exitCodeOf(encodeStatus(internalErrorStatus("boom"), 2)!, 2)).toThrow("boom");
  });
  test("an internal error is thrown with its message", () => expect(() => exitCodeOf(encodeStatus(internalErrorStatus("no such container"), 4)!, 4)).toThrow("no such container"));
});

describe("expected SPDY streams", () => {
  const cases = [
    { desc: "stdout only wants error and stdout", opts: { stdin: false, stdout: true, stderr: false, tty: false }, v: 4, want: ["error", "stdout"] },
    { desc: "a tty from v3 wants resize and no stderr", opts: { stdin: true, stdout: true, stderr: true, tty: true }, v: 4, want: ["error", "stdin", "stdout", "resize"] },
    { desc: "a tty under v2 has no resize stream", opts: { stdin: true, stdout: true, stderr: false, tty: true }, v: 2, want: ["error", "stdin", "stdout"] },
  ];
  for (const tc of cases) test(tc.desc, () => expect([...expectedStreams(tc.opts, tc.v)] as string[]).toEqual(tc.want));
});

describe("queryPorts", () => {
  test("port and ports, comma-separated", () => expect(queryPorts(new URLSearchParams("port=80&ports=443,8080"))).toEqual([80, 443, 8080]));
  test("a bad port is an error", () => expect(() => queryPorts(new URLSearchParams("port=0"))).toThrow());
});
