import { defineCommand } from "citty";
import { imageExportCommand } from "./image-export.ts";
import { imageImportCommand } from "./image-import.ts";

/** `skiff image import|export`: image archives for nodes without a registry. */
export const imageCommand = defineCommand({
  meta: { name: "image", description: "move images in and out as archives (skiff endpoints only)" },
  subCommands: { import: imageImportCommand, export: imageExportCommand },
});
