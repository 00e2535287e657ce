/**
 * Hostile and broken clients: each gets a gRPC error or a closed connection, and the
 * daemon keeps answering Version afterwards.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as http2 from "node:http2";
import * as net from "node:net";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { type Daemon, startDaemon } from "../harness.ts";

let d: Daemon;
beforeAll(async () => {
  d = await startDaemon({ extraConfig: "" });
});
afterAll(async () => {
  await d?.stop();
  if (d) fs.rmSync(d.dir, { recursive: true, force: true });
});

async function stillAnswers(): Promise<void> {
  const v = await d.runtime.call<any>("Version", {});
  expect(v.runtime_name).toBe("skiff");
}

/** Writes bytes to the socket and waits for the server to close or for a short while. */
function sendRaw(bytes: Uint8Array, waitMs = 500): Promise<void> {
  return new Promise((resolve) => {
    const sock = net.connect(d.socket);
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve();
    };
    const timer = setTimeout(done, waitMs);
    sock.on("error", done);
    sock.on("close", done);
    sock.on("connect", () => sock.write(bytes));
  });
}

/** Opens a raw HTTP/2 session to the socket (authority localhost, as kubelet sends). */
function h2(): http2.ClientHttp2Session {
  const s = http2.connect("http://localhost", { createConnection: () => net.connect(d.socket) });
  s.on("error", () => {});
  return s;
}

/** Sends one raw request and collects status, headers and trailers. */
function rawRequest(headers: http2.OutgoingHttpHeaders, body: Uint8Array) {
  return new Promise<{ status?: number; grpcStatus?: string; grpcMessage?: string }>((resolve, reject) => {
    const session = h2();
    const req = session.request({ ":method": "POST", ...headers });
    const out: { status?: number; grpcStatus?: string; grpcMessage?: string } = {};
    const take = (h: http2.IncomingHttpHeaders) => {
      if (h[":status"]) out.status = Number(h[":status"]);
      if (h["grpc-status"] !== undefined) out.grpcStatus = String(h["grpc-status"]);
      if (h["grpc-message"] !== undefined) out.grpcMessage = decodeURIComponent(String(h["grpc-message"]));
    };
    req.on("response", take);
    req.on("trailers", take);
    req.on("data", () => {});
    req.on("end", () => {
      session.close();
      resolve(out);
    });
    req.on("error", (e) => {
      session.destroy();
      reject(e);
    });
    req.end(body);
  });
}

/** Frames a protobuf payload as one gRPC message. */
function grpcFrame(payload: Uint8Array, declaredLength = payload.length): Uint8Array {
  const frame = new Uint8Array(5 + payload.length);
  new DataView(frame.buffer).setUint32(1, declaredLength);
  frame.set(payload, 5);
  return frame;
}

describe("garbage on the socket", () => {
  const cases = [
    { desc: "random bytes instead of an HTTP/2 preface are dropped", bytes: crypto.getRandomValues(new Uint8Array(4096)) },
    { desc: "an HTTP/1.1 request is dropped", bytes: new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n") },
    { desc: "a valid preface followed by junk frames is dropped", bytes: new Uint8Array([...new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), ...crypto.getRandomValues(new Uint8Array(512))]) },
    { desc: "an empty connection is dropped", bytes: new Uint8Array(0) },
  ];
  for (const tc of cases) {
    test(tc.desc, async () => {
      await sendRaw(tc.bytes);
      await stillAnswers();
    });
  }

  test("a hundred garbage connections in a row leave the server answering", async () => {
    for (let i = 0; i < 100; i++) await sendRaw(crypto.getRandomValues(new Uint8Array(64 + i * 16)), 100);
    await stillAnswers();
  });
});

describe("malformed gRPC requests", () => {
  const path = "/runtime.v1.RuntimeService/Version";
  test("a body that is not protobuf gets INTERNAL or INVALID_ARGUMENT, not a crash", async () => {
    const r = await rawRequest(
      { ":path": path, "content-type": "application/grpc", te: "trailers" },
      grpcFrame(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])),
    );
    expect([String(GrpcStatus.INTERNAL), String(GrpcStatus.INVALID_ARGUMENT)]).toContain(r.grpcStatus ?? "");
    await stillAnswers();
  });

  test("a frame that declares more bytes than it sends is answered and the server survives", async () => {
    const r = await rawRequest(
      { ":path": path, "content-type": "application/grpc", te: "trailers" },
      grpcFrame(new Uint8Array(3), 1000),
    );
    expect(r.grpcStatus).not.toBe(String(GrpcStatus.OK));
    await stillAnswers();
  });

  test("a wrong content-type is refused with 415", async () => {
    const r = await rawRequest({ ":path": path, "content-type": "application/json" }, new TextEncoder().encode("{}"));
    expect(r.status).toBe(415);
    await stillAnswers();
  });

  test("an unknown method is UNIMPLEMENTED", async () => {
    const r = await rawRequest(
      { ":path": "/runtime.v1.RuntimeService/NoSuchRpc", "content-type": "application/grpc", te: "trailers" },
      grpcFrame(new Uint8Array(0)),
    );
    expect(r.status === 404 || r.grpcStatus === String(GrpcStatus.UNIMPLEMENTED)).toBe(true);
    await stillAnswers();
  });

  test("a message over the size limit is RESOURCE_EXHAUSTED", async () => {
    // The test config keeps the default 16 MiB limit; send 17 MiB in one message.
    const big = new Uint8Array(17 * 1024 * 1024);
    const err = await d.runtime
      .call("UpdateRuntimeConfig", { runtime_config: { network_config: { pod_cidr: "x".repeat(big.length) } } })
      .then(() => undefined, (e) => e);
    expect(err?.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    await stillAnswers();
  });
});

describe("clients that go away", () => {
  test("a client that hangs up mid-request leaves the server answering", async () => {
    for (let i = 0; i < 20; i++) {
      const session = h2();
      const req = session.request({
        ":method": "POST",
        ":path": "/runtime.v1.RuntimeService/Status",
        "content-type": "application/grpc",
        te: "trailers",
      });
      req.on("error", () => {});
      req.write(grpcFrame(new Uint8Array(0), 10)); // promise 10 bytes, send none
      await Bun.sleep(5);
      session.destroy();
    }
    await stillAnswers();
  });

  test("a deadline shorter than any call gets DEADLINE_EXCEEDED and the server survives", async () => {
    const err = await d.runtime.call("Status", { verbose: true }, 0).then(() => undefined, (e) => e);
    expect(err?.code).toBe(GrpcStatus.DEADLINE_EXCEEDED);
    await stillAnswers();
  });
});
