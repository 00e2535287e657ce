/**
 * Reading a small file out of a container's rootfs without following links out of it
 * (DESIGN.md rule 5: an image is untrusted; `/etc/passwd -> /host/etc/shadow` must not
 * read the host's file). Every path component is checked with lstat.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const MAX_BYTES = 4 * 1024 * 1024;

/** The file's text, or "" when it is missing, not a regular file, behind a symlink, or too big. */
export function readRootfsFile(rootfs: string, rel: string): string {
  let cur = rootfs;
  const parts = rel.split("/").filter(Boolean);
  for (const [i, part] of parts.entries()) {
    if (part === "..") return "";
    cur = path.join(cur, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      return "";
    }
    const last = i === parts.length - 1;
    if (st.isSymbolicLink() || (last ? !st.isFile() : !st.isDirectory())) return "";
    if (last && st.size > MAX_BYTES) return "";
  }
  try {
    return fs.readFileSync(cur, "utf8");
  } catch {
    return "";
  }
}
