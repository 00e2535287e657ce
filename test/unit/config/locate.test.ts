import { describe, expect, test } from "bun:test";
import { findSyntaxErrorLine, KeyLocator } from "../../../src/config/locate.ts";

const TEXT = [
  "# a comment with [fake] = 1", //                          1
  "top = 1", //                                              2
  "[server]  # trailing comment", //                         3
  'socket = "/run/x.sock" # socket = "no"', //               4
  "[runtimes.\"my.handler\"]", //                            5
  "runtime_path = '/bin/x'", //                              6
  "[ runtimes . 'other' ]", //                               7
  "pod_annotations = [", //                                  8
  '  "a", # key = 2', //                                     9
  '  "b",', //                                               10
  "]", //                                                    11
  "container_annotations = []", //                           12
  "[image]", //                                              13
  'sandbox_image = """', //                                  14
  "[not_a_table]", //                                        15
  'x = "y"""', //                                            16
  "registry.hosts.\"r:5000\".username = \"u\"", //          17
  "inline = { a = 1,", //                                    18
  "  b = { c = [1, 2] } }", //                               19
  "[[things]]", //                                           20
  "name = 'one'", //                                         21
  "[[things]]", //                                           22
  "name = 'two'", //                                         23
  "",
].join("\n");

describe("KeyLocator", () => {
  const locator = new KeyLocator(TEXT);
  const cases = [
    { desc: "a top-level key is found", path: ["top"], want: 2 },
    { desc: "a table header is found despite a trailing comment", path: ["server"], want: 3 },
    { desc: "a key is found under its table", path: ["server", "socket"], want: 4 },
    { desc: "a quoted segment with a dot in it is one key", path: ["runtimes", "my.handler"], want: 5 },
    { desc: "a key under a quoted table is found", path: ["runtimes", "my.handler", "runtime_path"], want: 6 },
    { desc: "a header with spaces and a literal-quoted segment is found", path: ["runtimes", "other"], want: 7 },
    { desc: "the implicit parent of a header takes the header's line", path: ["runtimes"], want: 5 },
    { desc: "a multi-line array is found where it starts", path: ["runtimes", "other", "pod_annotations"], want: 8 },
    { desc: "a key after a multi-line array with comments inside has the right line", path: ["runtimes", "other", "container_annotations"], want: 12 },
    { desc: "a header inside a multi-line string is not a header", path: ["not_a_table"], want: undefined },
    { desc: "a dotted key with a quoted segment is found, under the current table", path: ["image", "registry", "hosts", "r:5000", "username"], want: 17 },
    { desc: "a key of an inline table is found", path: ["image", "inline", "a"], want: 18 },
    { desc: "a key of a nested inline table on the next line is found", path: ["image", "inline", "b", "c"], want: 19 },
    { desc: "an array of tables is found at its first header", path: ["things", "name"], want: 21 },
    { desc: "a missing key falls back to its nearest table", path: ["server", "log_level"], want: 3 },
    { desc: "a path with no table in the text has no line", path: ["nowhere", "key"], want: undefined },
    { desc: "a key that only appears in a comment is not found", path: ["key"], want: undefined },
  ];
  for (const tc of cases) test(tc.desc, () => expect(locator.lineOf(tc.path)).toBe(tc.want));
});

describe("findSyntaxErrorLine", () => {
  const cases = [
    { desc: "the error is found on a later line", text: "a = 1\nb = 2\nc = = 3\nd = 4\n" },
    { desc: "an array left open is found where it starts", text: "a = 1\nb = 2\nc = [\n  1,\n" },
  ];
  for (const tc of cases) {
    test(tc.desc, () => {
      let message = "";
      try {
        Bun.TOML.parse(tc.text);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(findSyntaxErrorLine(tc.text, message)).toBe(3);
    });
  }

  test("it gives up on texts longer than the limit", () => {
    expect(findSyntaxErrorLine("a = 1\nb = = 2\n", "whatever", 1)).toBeUndefined();
  });
});
