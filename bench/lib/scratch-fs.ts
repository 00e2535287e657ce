/**
 * A fresh, private ext4 filesystem for one measurement: a sparse image file formatted
 * with mkfs.ext4 (journal on, inode tables written up front so no background init
 * thread runs during the measurement) and loop-mounted under the temp dir. Needs root.
 *
 * Why: benchmarks that create and delete tens of thousands of files (image unpacks)
 * depend heavily on the state of the filesystem they write to. On an ext4 without a
 * journal, for one, allocating inodes soon after many were deleted walks the inode
 * bitmap skipping "recently deleted" inodes, and file creation gets several times
 * slower; whatever ran before (the previous round, a test suite) would then decide the
 * figures. A new filesystem per measurement gives every runtime the same start.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { onCleanup } from "./cleanup.ts";

export type ScratchFs = {
  /** The mount point: make the runtime's temp dirs here. */
  dir: string;
  /** "ext4 on /dev/loopN, 4 GiB" and the like, for reports. */
  describe: string;
  /** Unmounts it and removes the image file; safe to call twice. */
  remove(): Promise<void>;
};

function run(argv: string[]): string {
  const p = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} failed (${p.exitCode}): ${p.stderr.toString().trim()}`);
  return p.stdout.toString();
}

export async function createScratchFs(opts: { sizeGiB?: number } = {}): Promise<ScratchFs> {
  if (process.getuid?.() !== 0) throw new Error("a scratch filesystem needs root (mkfs + loop mount); run as root or use --fs tmpdir");
  const sizeGiB = opts.sizeGiB ?? 4;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "skiff-bench-fs-"));
  const image = path.join(work, "fs.img");
  const dir = path.join(work, "mnt");
  fs.mkdirSync(dir);
  let mounted = false;
  let removing: Promise<void> | undefined;
  const remove = () => (removing ??= removeOnce());
  const removeOnce = async () => {
    untrack();
    if (mounted) {
      // A daemon that was just killed may still hold files open for a moment.
      for (let i = 0; ; i++) {
        const p = Bun.spawnSync(["umount", dir], { stdout: "ignore", stderr: "pipe" });
        if (p.exitCode === 0) break;
        if (i === 20) throw new Error(`umount ${dir}: ${p.stderr.toString().trim()} (left mounted; image ${image})`);
        await Bun.sleep(250);
      }
      mounted = false;
    }
    fs.rmSync(work, { recursive: true, force: true });
  };
  const untrack = onCleanup(`remove scratch fs ${dir}`, remove);
  try {
    fs.writeFileSync(image, "");
    fs.truncateSync(image, sizeGiB * 1024 ** 3);
    run(["mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=0,lazy_journal_init=0,nodiscard", image]);
    // util-linux sets up the loop device and detaches it again at umount (autoclear).
    run(["mount", "-o", "loop", image, dir]);
    mounted = true;
    const source = run(["findmnt", "-n", "-o", "SOURCE", dir]).trim();
    return { dir, describe: `ext4 (journal) on ${source}, ${sizeGiB} GiB image in ${os.tmpdir()}`, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
