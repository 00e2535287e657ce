/**
 * The generated codecs (src/wire/gen/) against protobuf-es, the reference: for every
 * message of the CRI and of skiff.v1, messages with every field filled at random encode
 * to the bytes protobuf-es writes, and decode to what protobuf-es reads; the JSON
 * functions write what protobuf-es's toJson writes and read it back.
 */
import { describe, expect, test } from "bun:test";
import { type DescField, type DescMessage, ScalarType, create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";
import { file_runtime_v1_api } from "../../../src/gen/runtime/v1/api_pb.ts";
import { file_skiff_v1_skiff } from "../../../src/gen/skiff/v1/skiff_pb.ts";
import * as runtimeV1 from "../../../src/wire/gen/runtime-v1.ts";
import * as skiffV1 from "../../../src/wire/gen/skiff-v1.ts";
import { decodeRequest } from "../../../src/server/rpc.ts";
import { JOBS, allMessages, generate } from "../../../scripts/gen-codecs.ts";
import * as fs from "node:fs";
import * as path from "node:path";

/** A small deterministic generator, so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randomScalar(t: ScalarType, r: () => number): unknown {
  const int = (lo: number, hi: number) => Math.floor(lo + r() * (hi - lo));
  switch (t) {
    case ScalarType.STRING:
      return ["", "a", "héllo ✓", "x".repeat(int(0, 300))][int(0, 4)];
    case ScalarType.BYTES:
      return new Uint8Array(Array.from({ length: int(0, 20) }, () => int(0, 256)));
    case ScalarType.BOOL:
      return r() < 0.5;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return [0, 1.5, -2.25, 1e10][int(0, 4)];
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return [0n, 1n, -1n, 9007199254740993n, -(2n ** 63n)][int(0, 5)];
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return [0n, 1n, 2n ** 64n - 1n, 300n][int(0, 4)];
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return [0, 1, 4294967295, 300][int(0, 4)];
    default:
      return [0, 1, -1, 2147483647, -2147483648][int(0, 5)];
  }
}

function randomMessage(desc: DescMessage, r: () => number, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  const value = (kind: "scalar" | "enum" | "message", f: DescField): unknown => {
    if (kind === "enum") return f.enum!.values[Math.floor(r() * f.enum!.values.length)]!.number;
    if (kind === "message") return randomMessage(f.message!, r, depth + 1);
    return randomScalar(f.scalar!, r);
  };
  for (const f of desc.fields) {
    if (r() < 0.2) continue;
    if (f.fieldKind === "message" && depth > 4) continue;
    if (f.fieldKind === "list") {
      if (f.listKind === "message" && depth > 4) continue;
      init[f.localName] = Array.from({ length: Math.floor(r() * 3) }, () => value(f.listKind, f));
    } else if (f.fieldKind === "map") {
      if (f.mapKind === "message" && depth > 4) continue;
      const out: Record<string, unknown> = {};
      for (let i = Math.floor(r() * 3); i > 0; i--) out[`k${i}-${Math.floor(r() * 100)}`] = value(f.mapKind, f);
      init[f.localName] = out;
    } else init[f.localName] = value(f.fieldKind, f);
  }
  return create(desc, init as never) as never;
}

const messagesOf = allMessages;

const name = (m: DescMessage) => m.typeName.slice(m.file.proto.package.length + 1).replace(/\./g, "_");
const files = [
  { file: file_runtime_v1_api, codecs: runtimeV1 as Record<string, any> },
  { file: file_skiff_v1_skiff, codecs: skiffV1 as Record<string, any> },
];

for (const { file, codecs } of files) {
  describe(`${file.proto.name}: binary`, () => {
    for (const desc of messagesOf(file)) {
      const encode = codecs[`encode${name(desc)}`];
      const decode = codecs[`decode${name(desc)}`];
      const fresh = codecs[`create${name(desc)}`];
      // Only what serving needs is generated: readers for requests' messages, writers for answers'.
      if (!encode && !decode && !fresh) continue;
      test(desc.typeName, () => {
        const r = rng(desc.typeName.length * 7919);
        if (fresh) expect(fresh()).toEqual(create(desc) as never);
        for (let i = 0; i < 25; i++) {
          const msg = randomMessage(desc, r, 0);
          const want = toBinary(desc, msg as never);
          if (encode) {
            const w = new BinaryWriter();
            encode(w, msg);
            expect(w.finish()).toEqual(want);
          }
          if (decode) {
            const reader = new BinaryReader(want);
            expect(decode(reader, reader.len)).toEqual(fromBinary(desc, want) as never);
            // An empty message decodes to protobuf-es's defaults.
            expect(decode(new BinaryReader(new Uint8Array(0)), 0)).toEqual(create(desc) as never);
          }
        }
      });
    }
  });
}

describe("what is generated", () => {
  test("every request has a reader and every answer a writer", () => {
    for (const { file, codecs } of files) {
      for (const s of file.services) {
        for (const m of s.methods) {
          expect(codecs[`decode${name(m.input)}`]).toBeFunction();
          expect(codecs[`encode${name(m.output)}`]).toBeFunction();
        }
      }
    }
  });
});

describe("enums", () => {
  test("are the objects protoc-gen-es makes", async () => {
    const pb = (await import("../../../src/gen/runtime/v1/api_pb.ts")) as Record<string, unknown>;
    for (const e of file_runtime_v1_api.enums) expect((runtimeV1 as Record<string, unknown>)[e.name]).toEqual(pb[e.name]);
    expect(file_runtime_v1_api.enums.length).toBeGreaterThan(5);
  });
});

describe("proto JSON of the stored configs", () => {
  for (const root of ["runtime.v1.PodSandboxConfig", "runtime.v1.ContainerConfig"]) {
    test(root, () => {
      const desc = messagesOf(file_runtime_v1_api).find((m) => m.typeName === root)!;
      const r = rng(42);
      for (let i = 0; i < 100; i++) {
        const msg = randomMessage(desc, r, 0);
        const want = toJson(desc, msg as never);
        const got = (runtimeV1 as Record<string, any>)[`json${name(desc)}`](msg);
        expect(got).toEqual(want);
        expect((runtimeV1 as Record<string, any>)[`fromJson${name(desc)}`](want)).toEqual(fromJson(desc, want) as never);
      }
    });
  }

  test("reads proto field names and enums by number, ignores unknown fields, and names a wrong value's field", () => {
    const m = runtimeV1.fromJsonContainerConfig({ log_path: "a.log", linux: { security_context: { namespace_options: { network: 2 } } }, extra: 1 });
    expect(m.logPath).toBe("a.log");
    expect(m.linux?.securityContext?.namespaceOptions?.network).toBe(2);
    expect(() => runtimeV1.fromJsonContainerConfig({ tty: "yes" })).toThrow("runtime.v1.ContainerConfig.tty");
  });
});

describe("malformed bytes", () => {
  test("a field of the wrong wire type, or a length past the end, is an error, never a wrong message", () => {
    const read = (b: number[]) => decodeRequest(runtimeV1.RuntimeServiceRpc.methods["/runtime.v1.RuntimeService/Version"], new Uint8Array(b)) as { version: string };
    expect(read([0x0a, 0x02, 0x76, 0x31]).version).toBe("v1");
    expect(() => read([0x08, 0x01])).toThrow("runtime.v1.VersionRequest.version");
    expect(() => read([0x0a, 0x09, 0x76])).toThrow();
  });
});

test("src/wire/gen is what scripts/gen-codecs.ts writes", () => {
  for (const job of JOBS) expect(fs.readFileSync(path.resolve(import.meta.dir, "../../..", job.out), "utf8")).toBe(generate(job));
});
