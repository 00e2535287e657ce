/**
 * Windows container images for tests: layer tars in the Windows layout (`Files/` is the
 * container's C:\, `Hives/` the registry hives), with the PAX records Windows tools
 * write, and image configs for `os: windows` with an `os.version`.
 */
import { type BuiltImage, buildImage } from "./images.ts";
import { layerBlob } from "./layers.ts";
import { type TarEntrySpec, tar } from "./tar-writer.ts";

/** What Windows' tar writers add to each entry: file attributes (FILE_ATTRIBUTE_ARCHIVE) and a creation time. */
const winPax = { "MSWINDOWS.fileattr": "32", "LIBARCHIVE.creationtime": "1700000000" };

const dir = (name: string): TarEntrySpec => ({ name, type: "dir", mode: 0o755, pax: { "MSWINDOWS.fileattr": "16" } });
const file = (name: string, data: string): TarEntrySpec => ({ name, data, mode: 0o644, pax: winPax });

/**
 * A base layer: a tiny C:\ with cmd.exe and pause.exe, the registry hives, and the utility
 * VM image a Hyper-V isolated pod boots (`UtilityVM/Files` with the boot manager, and the
 * VM's scratch template), as Windows base images carry one.
 */
export function windowsBaseLayerTar(): Uint8Array<ArrayBuffer> {
  return tar([
    dir("Files/"),
    dir("Files/Windows/"),
    dir("Files/Windows/System32/"),
    file("Files/Windows/System32/cmd.exe", "MZ fake cmd"),
    dir("Files/Windows/Temp/"),
    file("Files/Windows/Temp/old.log", "old"),
    file("Files/pause.exe", "MZ fake pause"),
    dir("Hives/"),
    file("Hives/SOFTWARE_BASE", "regf software"),
    file("Hives/SYSTEM_BASE", "regf system"),
    dir("UtilityVM/"),
    dir("UtilityVM/Files/"),
    dir("UtilityVM/Files/EFI/"),
    dir("UtilityVM/Files/EFI/Microsoft/"),
    dir("UtilityVM/Files/EFI/Microsoft/Boot/"),
    file("UtilityVM/Files/EFI/Microsoft/Boot/bootmgfw.efi", "MZ fake boot manager"),
    file("UtilityVM/SystemTemplate.vhdx", "vhdxfile fake VM scratch"),
  ]);
}

/** An application layer over the base: adds C:\app and deletes C:\Windows\Temp\old.log. */
export function windowsAppLayerTar(): Uint8Array<ArrayBuffer> {
  return tar([dir("Files/"), dir("Files/app/"), file("Files/app/run.cmd", "@echo off\r\necho hello\r\n"), file("Files/Windows/Temp/.wh.old.log", ""), dir("Hives/")]);
}

export type WindowsImageOptions = { osVersion?: string; cmd?: string[]; entrypoint?: string[]; env?: string[]; workingDir?: string; user?: string };

/** A two-layer Windows image (base + app). */
export function windowsImage(opts: WindowsImageOptions = {}): BuiltImage {
  return buildImage([layerBlob(windowsBaseLayerTar()), layerBlob(windowsAppLayerTar())], {
    os: "windows",
    osVersion: opts.osVersion ?? "10.0.20348.2340",
    env: opts.env ?? ["PATH=C:\\Windows\\system32;C:\\Windows"],
    cmd: opts.cmd ?? ["C:\\pause.exe"],
    entrypoint: opts.entrypoint,
    workingDir: opts.workingDir,
    user: opts.user ?? "ContainerUser",
  });
}
