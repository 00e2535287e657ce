/**
 * Where a Worker's code is. From source, next to the module that starts it. In a binary
 * built by scripts/build-binary.ts every module's import.meta.url is the binary itself,
 * and each worker, bundled as an entry point of its own, sits in Bun's embedded
 * filesystem under the entry points' common directory, `src/` (checked: bun 1.4.4, linux;
 * the Windows form is `B:/~BUN/root/`).
 *
 * `srcPath` is the worker's path under `src/`, e.g. `image/unpack/unpack-worker.ts`.
 */
export function workerSpecifier(moduleUrl: string, srcPath: string): string {
  const embedded = /^file:\/\/(?:(\/\$bunfs\/root)|\/([A-Z]:\/~BUN\/root))\//.exec(moduleUrl);
  if (embedded) return `${embedded[1] ?? embedded[2]}/${srcPath}`;
  return new URL(`./${srcPath.split("/").pop()}`, moduleUrl).href;
}
