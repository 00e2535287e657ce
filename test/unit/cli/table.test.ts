import { describe, expect, test } from "bun:test";
import { renderTable } from "../../../src/cli/table.ts";

describe("renderTable", () => {
  test("columns are as wide as their widest cell, three spaces apart, without trailing blanks", () => {
    const out = renderTable(["IMAGE", "TAG", "SIZE"], [
      ["docker.io/library/busybox", "1.36", "1.2MB"],
      ["x", "latest", "5B"],
    ]);
    expect(out.split("\n")).toEqual([
      "IMAGE                       TAG      SIZE",
      "docker.io/library/busybox   1.36     1.2MB",
      "x                           latest   5B",
    ]);
  });
  test("an empty table is its header", () => expect(renderTable(["A", "B"], [])).toBe("A   B"));
  test("a short row is padded with empty cells", () => expect(renderTable(["A", "B"], [["long"]]).split("\n")[1]).toBe("long"));
});
