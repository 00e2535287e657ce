/**
 * The floor under skiff's memory: Bun's own `node:http2` server on a unix socket, serving
 * CRI calls with answers encoded once at start, with no protobuf library, no router and
 * none of skiff's code. `bench/rpc.ts` compiles it exactly as skiff is compiled and drives
 * it through the same phases, so the gap between this row and skiff's is what skiff's own
 * code holds, and the gap between this row and containerd's is what the runtime costs
 * before any of it.
 *
 *   bun-floor-server <socket path>
 */
import * as fs from "node:fs";
import * as http2 from "node:http2";

/** A protobuf field key and a length-delimited value (strings and messages). */
function lenField(field: number, value: Uint8Array): Uint8Array {
  const key = (field << 3) | 2;
  if (value.length > 127) throw new Error("the floor's answers stay under 128 bytes per field");
  return Uint8Array.from([key, value.length, ...value]);
}
const str = (field: number, s: string) => lenField(field, new TextEncoder().encode(s));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
/** runtime.v1.RuntimeCondition {type = 1, status = 2 (bool)}. */
const condition = (type: string) => concat(str(1, type), Uint8Array.from([(2 << 3) | 0, 1]));

/** One gRPC message frame: uncompressed flag, big-endian length, the message. */
function frame(message: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + message.length);
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

// runtime.v1.VersionResponse {version = 1, runtime_name = 2, runtime_version = 3, runtime_api_version = 4}.
const VERSION = frame(concat(str(1, "0.1.0"), str(2, "bun-floor"), str(3, Bun.version), str(4, "v1")));
// runtime.v1.StatusResponse {status = 1: RuntimeStatus {conditions = 1 (repeated)}}.
const STATUS = frame(lenField(1, concat(lenField(1, condition("RuntimeReady")), lenField(1, condition("NetworkReady")))));
// Every other call gets its response message with no field set (empty lists).
const EMPTY = frame(new Uint8Array(0));
const ANSWERS: Record<string, Buffer> = {
  "/runtime.v1.RuntimeService/Version": VERSION,
  "/runtime.v1.RuntimeService/Status": STATUS,
};

const socketPath = process.argv[2];
if (!socketPath) {
  console.error("usage: bun-floor-server <socket path>");
  process.exit(2);
}
fs.rmSync(socketPath, { force: true });

// The same stream limit skiff's server sets (MAX_STREAMS_PER_CONNECTION), written out:
// importing it from src/server/grpc-server.ts would bring connect into the floor.
const server = http2.createServer({ settings: { maxConcurrentStreams: 256 } });
let lastCall = 0;
let shrunkSinceLastCall = true;
server.on("stream", (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
  lastCall = performance.now();
  shrunkSinceLastCall = false;
  const answer = ANSWERS[String(headers[":path"])] ?? EMPTY;
  // Read the whole request, as a server that decodes it would, then answer.
  stream.on("data", () => {});
  stream.on("end", () => {
    stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(answer);
  });
  stream.on("error", () => {});
});
server.listen(socketPath, () => console.log(`bun-floor serving on ${socketPath}`));
// skiff gives back what start-up left once it serves, and what bursts of calls left once
// it has had none for 5 s (src/server/memory-trim.ts); the floor does both, unconditionally.
setTimeout(() => Bun.shrink(), 0).unref();
setInterval(() => {
  if (shrunkSinceLastCall || performance.now() - lastCall < 5_000) return;
  Bun.shrink();
  shrunkSinceLastCall = true;
}, 2_000).unref();
process.on("SIGTERM", () => server.close(() => process.exit(0)));
