/** The state database: schema, migrations and typed stores. See open-store.ts. */
export { openStore } from "./open-store.ts";
export type { Store, StoreOptions } from "./open-store.ts";
export { migrate, MIGRATIONS, SCHEMA_VERSION, schemaVersionOf } from "./migrations/index.ts";
export type { Migration } from "./migrations/index.ts";
export { systemClock } from "./clock.ts";
export type { Clock } from "./clock.ts";
export type { JsonObject, JsonValue } from "./json.ts";
export { containerNameKey, sandboxNameKey } from "./names.ts";
export type { ContainerMetadata, SandboxMetadata } from "./names.ts";
export { resolveIdPrefix } from "./id-prefix.ts";
export { RuntimeStateStore } from "./runtime-state-store.ts";
export { SANDBOX_STATES, SandboxStore } from "./sandbox-store.ts";
export type { NewSandbox, SandboxPatch, SandboxRecord, SandboxState } from "./sandbox-store.ts";
export { CONTAINER_STATES, ContainerStore } from "./container-store.ts";
export type { ContainerPatch, ContainerRecord, ContainerState, NewContainer } from "./container-store.ts";
export { OperationLog } from "./operation-log.ts";
export type { Operation } from "./operation-log.ts";
