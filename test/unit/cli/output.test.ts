import { describe, expect, test } from "bun:test";
import { plain, render } from "../../../src/cli/output.ts";

const value = { $typeName: "x", name: "skiff", size: 12n, raw: new TextEncoder().encode("hi"), nested: { list: [1, 2], items: [{ a: 1 }] } };

describe("render", () => {
  test("plain drops $typeName and turns bigint and bytes into strings", () => {
    expect(plain(value)).toEqual({ name: "skiff", size: "12", raw: "hi", nested: { list: [1, 2], items: [{ a: 1 }] } });
  });
  test("json is indented JSON", () => {
    expect(JSON.parse(render(value, "json")).size).toBe("12");
  });
  test("yaml has one key per line", () => {
    expect(render(value, "yaml")).toContain("name: skiff");
  });
  test("table lines up dotted keys", () => {
    const out = render(value, "table").split("\n");
    expect(out).toContain(`${"name".padEnd("nested.items[0].a".length)}  skiff`);
    expect(out.some((l) => /^nested\.items\[0\]\.a\s+1$/.test(l))).toBe(true);
    expect(out.some((l) => /^nested\.list\s+1, 2$/.test(l))).toBe(true);
  });
});
