#!/usr/bin/env bun
/**
 * Writes src/wire/gen/: for each proto file the daemon serves, plain functions that encode
 * and decode its messages in the protobuf binary format, a table of its services' methods,
 * and, for the messages skiff stores as JSON, proto-JSON writers and readers.
 *
 * The daemon serves with these instead of protobuf-es's reflection: building the CRI's
 * descriptors at start costs a daemon at rest about 4 MiB, and code that is never called
 * costs JavaScriptCore next to nothing. protobuf-es stays the reference: this script reads
 * its descriptors (build time only), and test/unit/wire/ checks the codecs against it.
 *
 * Usage: bun scripts/gen-codecs.ts [--check]   (--check: exit 1 if a file would change)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type DescEnum, type DescField, type DescFile, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { file_runtime_v1_api } from "../src/gen/runtime/v1/api_pb.ts";
import { file_skiff_v1_skiff } from "../src/gen/skiff/v1/skiff_pb.ts";

const root = path.resolve(import.meta.dir, "..");

type Job = {
  file: DescFile;
  /** Where the protoc-gen-es module of the file is, from src/wire/gen/. */
  pbModule: string;
  out: string;
  /** Messages (with everything they hold) that get proto-JSON functions. */
  jsonRoots: string[];
  /** Messages that get an exported `create*` (for the daemon's own code). */
  creates: string[];
};

export const JOBS: Job[] = [
  {
    file: file_runtime_v1_api,
    pbModule: "../../gen/runtime/v1/api_pb.ts",
    out: "src/wire/gen/runtime-v1.ts",
    jsonRoots: ["runtime.v1.PodSandboxConfig", "runtime.v1.ContainerConfig"],
    creates: ["runtime.v1.LinuxPodSandboxConfig", "runtime.v1.LinuxContainerConfig", "runtime.v1.WindowsContainerConfig", "runtime.v1.WindowsContainerResources"],
  },
  { file: file_skiff_v1_skiff, pbModule: "../../gen/skiff/v1/skiff_pb.ts", out: "src/wire/gen/skiff-v1.ts", jsonRoots: [], creates: [] },
];

/** Writer/reader method and wire type per scalar type. */
const SCALAR: Record<ScalarType, { fn: string; wt: number; zero: string; isSet: (v: string) => string; big?: true }> = {
  [ScalarType.DOUBLE]: { fn: "double", wt: 1, zero: "0", isSet: (v) => `${v} !== 0` },
  [ScalarType.FLOAT]: { fn: "float", wt: 5, zero: "0", isSet: (v) => `${v} !== 0` },
  [ScalarType.INT64]: { fn: "int64", wt: 0, zero: "0n", isSet: (v) => `${v} != 0`, big: true },
  [ScalarType.UINT64]: { fn: "uint64", wt: 0, zero: "0n", isSet: (v) => `${v} != 0`, big: true },
  [ScalarType.INT32]: { fn: "int32", wt: 0, zero: "0", isSet: (v) => `${v} !== 0` },
  [ScalarType.FIXED64]: { fn: "fixed64", wt: 1, zero: "0n", isSet: (v) => `${v} != 0`, big: true },
  [ScalarType.FIXED32]: { fn: "fixed32", wt: 5, zero: "0", isSet: (v) => `${v} !== 0` },
  [ScalarType.BOOL]: { fn: "bool", wt: 0, zero: "false", isSet: (v) => `${v} === true` },
  [ScalarType.STRING]: { fn: "string", wt: 2, zero: '""', isSet: (v) => `${v} !== ""` },
  [ScalarType.BYTES]: { fn: "bytes", wt: 2, zero: "new Uint8Array(0)", isSet: (v) => `${v}.length > 0` },
  [ScalarType.UINT32]: { fn: "uint32", wt: 0, zero: "0", isSet: (v) => `${v} !== 0` },
  [ScalarType.SFIXED32]: { fn: "sfixed32", wt: 5, zero: "0", isSet: (v) => `${v} !== 0` },
  [ScalarType.SFIXED64]: { fn: "sfixed64", wt: 1, zero: "0n", isSet: (v) => `${v} != 0`, big: true },
  [ScalarType.SINT32]: { fn: "sint32", wt: 0, zero: "0", isSet: (v) => `${v} !== 0` },
  [ScalarType.SINT64]: { fn: "sint64", wt: 0, zero: "0n", isSet: (v) => `${v} != 0`, big: true },
};

/** The TypeScript name protoc-gen-es gives a message or enum: nested names joined by "_". */
const tsName = (d: DescMessage | DescEnum) => d.typeName.slice(d.file.proto.package.length + 1).replace(/\./g, "_");

/** Every message of `file`, nested ones after their parent. */
export function allMessages(file: DescFile): DescMessage[] {
  const out: DescMessage[] = [];
  const walk = (m: DescMessage) => {
    out.push(m);
    m.nestedMessages.forEach(walk);
  };
  file.messages.forEach(walk);
  return out;
}

function allEnums(file: DescFile): DescEnum[] {
  const out: DescEnum[] = [...file.enums];
  for (const m of allMessages(file)) out.push(...m.nestedEnums);
  return out;
}

/** A scalar read, as a JS expression (64-bit values come back as bigint in Bun). */
const readScalar = (t: ScalarType) => `r.${SCALAR[t].fn}()${SCALAR[t].big ? " as bigint" : ""}`;

/** Lines that write field `f` of `m` (held in `v`). */
function encodeField(f: DescField): string[] {
  const get = `(v = m.${f.localName}) !== undefined`;
  const no = f.number;
  switch (f.fieldKind) {
    case "scalar": {
      const s = SCALAR[f.scalar];
      return [`if (${get} && ${s.isSet("v")}) w.tag(${no}, ${s.wt}).${s.fn}(v);`];
    }
    case "enum":
      return [`if (${get} && v !== 0) w.tag(${no}, 0).int32(v);`];
    case "message":
      return [`if (${get}) { w.tag(${no}, 2).fork(); encode${tsName(f.message)}(w, v); w.join(); }`];
    case "list": {
      if (f.listKind === "message") return [`if (${get}) for (const x of v) { w.tag(${no}, 2).fork(); encode${tsName(f.message)}(w, x); w.join(); }`];
      const fn = f.listKind === "enum" ? "int32" : SCALAR[f.scalar].fn;
      const wt = f.listKind === "enum" ? 0 : SCALAR[f.scalar].wt;
      if (f.packed && wt !== 2) return [`if (${get} && v.length > 0) { w.tag(${no}, 2).fork(); for (const x of v) w.${fn}(x); w.join(); }`];
      return [`if (${get}) for (const x of v) w.tag(${no}, ${wt}).${fn}(x);`];
    }
    case "map": {
      const k = SCALAR[f.mapKey];
      const key = f.mapKey === ScalarType.BOOL ? 'k === "true"' : k.big ? "BigInt(k)" : k.fn === "string" ? "k" : "Number(k)";
      let value: string;
      if (f.mapKind === "message") value = `w.tag(2, 2).fork(); encode${tsName(f.message)}(w, x); w.join();`;
      else if (f.mapKind === "enum") value = "w.tag(2, 0).int32(x);";
      else value = `w.tag(2, ${SCALAR[f.scalar].wt}).${SCALAR[f.scalar].fn}(x);`;
      return [
        `if (${get}) for (const k of Object.keys(v)) { const x = v[k]${f.mapKind === "message" ? "" : "!"}; w.tag(${no}, 2).fork().tag(1, ${k.wt}).${k.fn}(${key}); ${value} w.join(); }`,
      ];
    }
  }
}

/** The `case` of the reading loop for field `f`. */
function decodeField(f: DescField, msg: DescMessage): string[] {
  const at = `m.${f.localName}`;
  const wrong = (wt: number) => `if (wt !== ${wt}) throw wrongType("${msg.typeName}.${f.name}");`;
  switch (f.fieldKind) {
    case "scalar":
      return [`case ${f.number}: ${wrong(SCALAR[f.scalar].wt)} ${at} = ${readScalar(f.scalar)}; break;`];
    case "enum":
      return [`case ${f.number}: ${wrong(0)} ${at} = r.int32(); break;`];
    case "message":
      return [`case ${f.number}: ${wrong(2)} ${at} = decode${tsName(f.message)}(r, r.uint32() + r.pos, ${at}); break;`];
    case "list": {
      if (f.listKind === "message") return [`case ${f.number}: ${wrong(2)} ${at}.push(decode${tsName(f.message)}(r, r.uint32() + r.pos)); break;`];
      const read = f.listKind === "enum" ? "r.int32()" : readScalar(f.scalar);
      const wt = f.listKind === "enum" ? 0 : SCALAR[f.scalar].wt;
      if (wt === 2) return [`case ${f.number}: ${wrong(2)} ${at}.push(${read}); break;`];
      return [
        `case ${f.number}: if (wt === 2) { const e = r.uint32() + r.pos; while (r.pos < e) ${at}.push(${read}); } else { ${wrong(wt)} ${at}.push(${read}); } break;`,
      ];
    }
    case "map": {
      const k = SCALAR[f.mapKey];
      let zero: string;
      let read: string;
      let vwt: number;
      if (f.mapKind === "message") {
        zero = "undefined";
        read = `decode${tsName(f.message)}(r, r.uint32() + r.pos)`;
        vwt = 2;
      } else if (f.mapKind === "enum") {
        zero = "0";
        read = "r.int32()";
        vwt = 0;
      } else {
        zero = SCALAR[f.scalar].zero;
        read = readScalar(f.scalar);
        vwt = SCALAR[f.scalar].wt;
      }
      const fill = f.mapKind === "message" ? `x ?? ${zeroLiteral(f.message)}` : "x";
      return [
        `case ${f.number}: { ${wrong(2)} const e = r.uint32() + r.pos; let k: ${k.big ? "bigint" : k.fn === "string" ? "string" : k.fn === "bool" ? "boolean" : "number"} = ${k.zero}; let x: any = ${zero};`,
        `  while (r.pos < e) { const [n, t] = r.tag(); if (n === 1 && t === ${k.wt}) k = ${readScalar(f.mapKey)}; else if (n === 2 && t === ${vwt}) x = ${read}; else r.skip(t, n); }`,
        `  ${at}[String(k)] = ${fill}; break; }`,
      ];
    }
  }
}

/** The value a new message has for `f`, or undefined for none (a message field). */
function zeroOf(f: DescField): string | undefined {
  switch (f.fieldKind) {
    case "scalar":
      return SCALAR[f.scalar].zero;
    case "enum":
      return "0";
    case "message":
      return undefined;
    case "list":
      return "[]";
    case "map":
      return "{}";
  }
}

/** A new `m` with every field at its default, as protobuf-es's create makes it, as an object literal. */
function zeroLiteral(m: DescMessage): string {
  const zeros = m.fields.flatMap((f) => {
    const z = zeroOf(f);
    return z === undefined ? [] : [`${f.localName}: ${z}`];
  });
  return `({ $typeName: ${JSON.stringify(m.typeName)}${zeros.map((z) => `, ${z}`).join("")} } as ${tsName(m)})`;
}

/** The messages `roots` reach through their fields, roots included. */
function closure(file: DescFile, roots: string[]): DescMessage[] {
  const seen = new Map<string, DescMessage>();
  const visit = (m: DescMessage) => {
    if (seen.has(m.typeName)) return;
    seen.set(m.typeName, m);
    for (const f of m.fields) if (f.message) visit(f.message);
  };
  for (const r of roots) {
    const m = allMessages(file).find((x) => x.typeName === r);
    if (!m) throw new Error(`no message ${r}`);
    visit(m);
  }
  return [...seen.values()];
}

/** A value of field `f` (in `x`) as proto JSON. */
function jsonValue(kind: "scalar" | "enum" | "message", f: DescField, x: string): string {
  if (kind === "message") return `json${tsName(f.message!)}(${x})`;
  if (kind === "enum") return `enumName(${tsName(f.enum!)}Names, ${x})`;
  if (f.scalar === ScalarType.BYTES) return `bytesJson(${x})`;
  if (SCALAR[f.scalar!].big) return `String(${x})`;
  if (f.scalar === ScalarType.DOUBLE || f.scalar === ScalarType.FLOAT) return `floatJson(${x})`;
  return x;
}

/** A proto JSON value (in `x`) of field `f` read back. */
function jsonRead(kind: "scalar" | "enum" | "message", f: DescField, x: string, where: string): string {
  if (kind === "message") return `fromJson${tsName(f.message!)}(${x})`;
  if (kind === "enum") return `enumValue(${tsName(f.enum!)}Names, ${x}, ${where})`;
  const s = f.scalar!;
  if (s === ScalarType.BYTES) return `bytesFromJson(${x}, ${where})`;
  if (s === ScalarType.STRING) return `stringFromJson(${x}, ${where})`;
  if (s === ScalarType.BOOL) return `boolFromJson(${x}, ${where})`;
  if (SCALAR[s].big) return `bigintFromJson(${x}, ${where})`;
  if (s === ScalarType.DOUBLE || s === ScalarType.FLOAT) return `floatFromJson(${x}, ${where})`;
  return `intFromJson(${x}, ${where})`;
}

function jsonFunctions(m: DescMessage): string[] {
  const n = tsName(m);
  const out: string[] = [];
  out.push(`/** ${m.typeName} as proto JSON (fields at their default left out, as protobuf-es's toJson). */`);
  out.push(`export function json${n}(m: Init<typeof ${n}Schema>): JsonObject {`);
  out.push("  const o: JsonObject = {};");
  out.push("  let v: any;");
  for (const f of m.fields) {
    const get = `(v = m.${f.localName}) !== undefined`;
    const key = JSON.stringify(f.jsonName);
    switch (f.fieldKind) {
      case "scalar":
        out.push(`  if (${get} && ${SCALAR[f.scalar].isSet("v")}) o[${key}] = ${jsonValue("scalar", f, "v")};`);
        break;
      case "enum":
        out.push(`  if (${get} && v !== 0) o[${key}] = ${jsonValue("enum", f, "v")};`);
        break;
      case "message":
        out.push(`  if (${get}) o[${key}] = ${jsonValue("message", f, "v")};`);
        break;
      case "list":
        out.push(`  if (${get} && v.length > 0) o[${key}] = v.map((x: any) => ${jsonValue(f.listKind, f, "x")});`);
        break;
      case "map":
        out.push(
          `  if (${get} && Object.keys(v).length > 0) o[${key}] = Object.fromEntries(Object.entries(v).map(([k, x]: [string, any]) => [k, ${jsonValue(f.mapKind, f, "x")}]));`,
        );
        break;
    }
  }
  out.push("  return o;", "}", "");
  out.push(`/** ${m.typeName} from proto JSON; unknown fields are ignored, a wrong value is an error naming its field. */`);
  out.push(`export function fromJson${n}(j: JsonValue | undefined): ${n} {`);
  out.push(`  const m = ${zeroLiteral(m)};`);
  out.push(`  if (j === null || j === undefined) return m;`);
  out.push(`  const o = objectFromJson(j, ${JSON.stringify(m.typeName)});`);
  out.push("  let v: JsonValue | undefined;");
  for (const f of m.fields) {
    const where = JSON.stringify(`${m.typeName}.${f.name}`);
    const names = f.jsonName === f.name ? `o[${JSON.stringify(f.name)}]` : `o[${JSON.stringify(f.jsonName)}] ?? o[${JSON.stringify(f.name)}]`;
    const get = `(v = ${names}) !== undefined && v !== null`;
    switch (f.fieldKind) {
      case "scalar":
      case "enum":
      case "message": {
        const read = jsonRead(f.fieldKind, f, "v", where);
        if (f.fieldKind === "enum") out.push(`  if (${get}) { const e = ${read}; if (e !== undefined) m.${f.localName} = e; }`);
        else out.push(`  if (${get}) m.${f.localName} = ${read};`);
        break;
      }
      case "list": {
        const read = jsonRead(f.listKind, f, "x", where);
        const keep = f.listKind === "enum" ? ".filter((x: any) => x !== undefined)" : "";
        out.push(`  if (${get}) m.${f.localName} = arrayFromJson(v, ${where}).map((x) => ${read})${keep} as any;`);
        break;
      }
      case "map": {
        const read = jsonRead(f.mapKind, f, "x", where);
        out.push(`  if (${get}) for (const [k, x] of Object.entries(objectFromJson(v, ${where}))) { const e = ${read}; if (e !== undefined) (m.${f.localName} as any)[k] = e; }`);
        break;
      }
    }
  }
  out.push("  return m;", "}", "");
  return out;
}

export function generate(job: Job): string {
  const messages = allMessages(job.file);
  const jsonMessages = closure(job.file, job.jsonRoots);
  const jsonEnums = new Set<DescEnum>();
  for (const m of jsonMessages) for (const f of m.fields) if (f.enum) jsonEnums.add(f.enum);
  const types = new Set<string>();
  for (const m of messages) types.add(`type ${tsName(m)}`).add(`type ${tsName(m)}Schema`);
  for (const e of allEnums(job.file)) types.add(`type ${tsName(e)} as ${tsName(e)}_pb`);
  const out: string[] = [
    `// @generated by scripts/gen-codecs.ts from ${job.file.proto.name} (package ${job.file.proto.package}); do not edit.`,
    "// Run `bun run generate` after changing the proto.",
    "/* eslint-disable */",
    'import type { DescMessage, MessageInitShape } from "@bufbuild/protobuf";',
    'import { BinaryReader, BinaryWriter } from "@bufbuild/protobuf/wire";',
    `import { ${[...types].join(", ")} } from ${JSON.stringify(job.pbModule)};`,
  ];
  if (jsonMessages.length > 0) {
    out.push(
      'import { type JsonObject, type JsonValue, arrayFromJson, bigintFromJson, boolFromJson, bytesFromJson, bytesJson, enumName, enumValue, floatFromJson, floatJson, intFromJson, objectFromJson, stringFromJson } from "../json-values.ts";',
    );
  }
  out.push('import { wrongType } from "../wire-errors.ts";', "", "type Init<T extends DescMessage> = MessageInitShape<T>;", "");

  for (const e of allEnums(job.file)) {
    // The enum object as protoc-gen-es makes it (names to numbers and back), typed as its.
    const n = tsName(e);
    const entries = e.values.flatMap((v) => [`${v.localName}: ${v.number}`, `${v.number}: ${JSON.stringify(v.localName)}`]);
    out.push(`export const ${n} = { ${entries.join(", ")} } as unknown as typeof ${n}_pb;`);
    out.push(`export type ${n} = ${n}_pb;`);
  }
  out.push("");
  for (const e of allEnums(job.file)) {
    if (!jsonEnums.has(e)) continue;
    out.push(`const ${tsName(e)}Names: Record<number, string> = { ${e.values.map((v) => `${v.number}: ${JSON.stringify(v.name)}`).join(", ")} };`);
  }
  out.push("");

  // Only what serving needs, since every function here costs the daemon memory at start
  // (about 1 MiB at rest for all of them): readers for what requests hold, writers for
  // what answers hold, defaults for what the daemon's own code makes.
  const reads = new Set(closure(job.file, job.file.services.flatMap((s) => s.methods.map((m) => m.input.typeName))));
  const writes = new Set(closure(job.file, job.file.services.flatMap((s) => s.methods.map((m) => m.output.typeName))));
  for (const m of messages) {
    const n = tsName(m);
    if (job.creates.includes(m.typeName)) {
      out.push(`/** A new ${m.typeName} with every field at its default, as protobuf-es's create makes it. */`);
      out.push(`export function create${n}(): ${n} {`);
      out.push(`  return ${zeroLiteral(m)};`);
      out.push("}", "");
    }
    if (writes.has(m)) {
      out.push(`export function encode${n}(w: BinaryWriter, m: Init<typeof ${n}Schema>): void {`);
      if (m.fields.length > 0) out.push("  let v: any;");
      // By field number, as protobuf-es writes them (and as protobuf recommends).
      for (const f of [...m.fields].sort((a, b) => a.number - b.number)) out.push(...encodeField(f).map((l) => `  ${l}`));
      out.push("}", "");
    }
    if (reads.has(m)) {
      out.push(`/** Reads a ${m.typeName} up to \`end\`, into \`into\` when given (a field met twice merges, as protobuf says). */`);
      out.push(`export function decode${n}(r: BinaryReader, end: number, into?: ${n}): ${n} {`);
      out.push(`  const m = into ?? ${zeroLiteral(m)};`);
      out.push("  while (r.pos < end) {");
      out.push("    const [no, wt] = r.tag();");
      out.push("    switch (no) {");
      for (const f of m.fields) out.push(...decodeField(f, m).map((l) => `      ${l}`));
      out.push("      default: r.skip(wt, no);");
      out.push("    }", "  }");
      out.push(`  if (r.pos !== end) throw wrongType(${JSON.stringify(m.typeName)});`);
      out.push("  return m;", "}", "");
    }
  }
  for (const m of jsonMessages) out.push(...jsonFunctions(m));

  for (const s of job.file.services) {
    out.push(`/** ${s.typeName}: each method by its gRPC path, with its kind, its request's reader and its answer's writer. */`);
    out.push(`export const ${s.name}Rpc = {`);
    out.push(`  typeName: ${JSON.stringify(s.typeName)},`);
    out.push("  methods: {");
    for (const meth of s.methods) {
      const i = tsName(meth.input);
      const o = tsName(meth.output);
      out.push(`    ${JSON.stringify(`/${s.typeName}/${meth.name}`)}: {`);
      out.push(`      name: ${JSON.stringify(meth.name)},`);
      out.push(`      localName: ${JSON.stringify(meth.localName)},`);
      out.push(`      kind: ${JSON.stringify(meth.methodKind)},`);
      out.push(`      read: decode${i},`);
      out.push(`      write: encode${o},`);
      out.push("    },");
    }
    out.push("  },", "} as const;", "");
  }
  return `${out.join("\n").replace(/\n{3,}/g, "\n\n").trimEnd()}\n`;
}

if (import.meta.main) {
  const check = process.argv.includes("--check");
  let stale = false;
  for (const job of JOBS) {
    const file = path.join(root, job.out);
    const text = generate(job);
    const old = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
    if (old === text) continue;
    stale = true;
    if (check) console.error(`${job.out} is stale: run \`bun run generate\``);
    else {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      console.log(`wrote ${job.out}`);
    }
  }
  if (check && stale) process.exit(1);
}
