import { defineCommand } from "citty";
import { clientArgs, clientFrom, print } from "./client-args.ts";
import { humanSize } from "./human-size.ts";
import { checkArgs } from "./strict-args.ts";
import { renderTable } from "./table.ts";

/** What the table needs of a CRI `FilesystemUsage`. */
type FsUsage = { fsId?: { mountpoint: string }; usedBytes?: { value: bigint }; inodesUsed?: { value: bigint } };

/** Table rows: the image filesystems, then the container ones (CRI 1.30+), labelled. */
export function fsRows(kind: string, list: readonly FsUsage[]): string[][] {
  return list.map((fs) => [
    kind,
    fs.fsId?.mountpoint ?? "",
    fs.usedBytes ? humanSize(fs.usedBytes.value) : "-",
    fs.inodesUsed ? String(fs.inodesUsed.value) : "-",
  ]);
}

/** `skiff imagefsinfo`: ImageFsInfo, what the image store uses on disk. */
export const imagefsinfoCommand = defineCommand({
  meta: { name: "imagefsinfo", description: "show the image filesystem's usage (ImageFsInfo)" },
  args: { ...clientArgs },
  async run({ args: a, rawArgs }) {
    checkArgs(rawArgs, clientArgs, { max: 0 });
    const client = clientFrom(a);
    try {
      const res = await client.image.imageFsInfo({});
      if ((a.output ?? "table") !== "table") return print(res, a);
      const rows = [...fsRows("image", res.imageFilesystems), ...fsRows("container", res.containerFilesystems)];
      console.log(renderTable(["FILESYSTEM", "MOUNTPOINT", "USED", "INODES"], rows));
    } finally {
      client.close();
    }
  },
});
