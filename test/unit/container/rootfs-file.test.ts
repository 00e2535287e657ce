import { afterAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readRootfsFile } from "../../../src/container/rootfs-file.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "rootfs-file-"));
const outside = fs.mkdtempSync(path.join(os.tmpdir(), "outside-"));
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { recursive: true, force: true });
});
fs.writeFileSync(path.join(outside, "secret"), "host secret\n");
fs.mkdirSync(path.join(root, "etc"));
fs.writeFileSync(path.join(root, "etc/passwd"), "root:x:0:0::/:/bin/sh\n");
fs.symlinkSync(path.join(outside, "secret"), path.join(root, "etc/group"));
fs.mkdirSync(path.join(root, "ok"));
fs.symlinkSync(outside, path.join(root, "linkdir"));

describe("readRootfsFile", () => {
  const cases = [
    { desc: "a regular file inside the rootfs is read", rel: "etc/passwd", want: "root:x:0:0::/:/bin/sh\n" },
    { desc: "a file that is a symlink out of the rootfs reads as empty", rel: "etc/group", want: "" },
    { desc: "a path through a symlinked directory reads as empty", rel: "linkdir/secret", want: "" },
    { desc: "a path with .. reads as empty", rel: "ok/../../outside/secret", want: "" },
    { desc: "a missing file reads as empty", rel: "etc/shadow", want: "" },
    { desc: "a directory reads as empty", rel: "etc", want: "" },
  ];
  for (const tc of cases) test(tc.desc, () => expect(readRootfsFile(root, tc.rel)).toBe(tc.want));
});
