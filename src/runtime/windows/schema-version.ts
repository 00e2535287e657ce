/**
 * The HCS schema a container is created with (hcsshim schemaversion.DetermineSchemaVersion):
 * 1.0 before Windows Server 2019 (build 17763, RS5), 2.1 from it on; a handler may force
 * one, but 2.1 on an older build is not supported and the default is used instead (with
 * a warning, as hcsshim logs one). A container in a utility VM is always 2.1.
 */
import type { HcsSchemaVersion } from "../../config/schema.ts";
import { BUILD_RS5 } from "./hcs-document.ts";
import { SCHEMA_V10, SCHEMA_V21, type SchemaVersion } from "./hcs-schema.ts";

export function chooseSchemaVersion(build: number, requested: HcsSchemaVersion, hosted = false): { version: SchemaVersion; warning?: string } {
  if (hosted) return { version: SCHEMA_V21 };
  const byBuild = build >= BUILD_RS5 ? SCHEMA_V21 : SCHEMA_V10;
  if (requested === "1.0") return { version: SCHEMA_V10 };
  if (requested === "2.1") {
    if (build >= BUILD_RS5) return { version: SCHEMA_V21 };
    return { version: byBuild, warning: `HCS schema 2.1 needs Windows build ${BUILD_RS5} or later (this host is ${build}); using 1.0` };
  }
  return { version: byBuild };
}

/** The build number of `major.minor.build.revision`. */
export function buildOf(osVersion: string): number {
  return Number(osVersion.split(".")[2] ?? 0) || 0;
}
