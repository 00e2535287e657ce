import * as fs from "node:fs";
import { parseBaseSpec } from "../oci/base-spec.ts";
import type { Spec } from "../oci/spec.ts";

/**
 * A handler's base spec: its `base_runtime_spec` file when one is set, else `fallback()`;
 * frozen, since specs only ever start from a copy. A file that cannot be read or parsed
 * fails the start, naming the handler and the file.
 */
export function loadBaseSpec(handler: string, file: string, fallback: () => Spec): Spec {
  let spec = fallback();
  if (file !== "") {
    let text: string;
    try {
      text = fs.readFileSync(file, "utf8");
    } catch (err) {
      throw new Error(`runtimes.${handler}.base_runtime_spec: cannot read "${file}"`, { cause: err });
    }
    spec = parseBaseSpec(text, file);
  }
  return Object.freeze(spec);
}
