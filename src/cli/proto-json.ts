/**
 * Pod and container objects as crictl prints them with -o json|yaml and in inspect:
 * protobuf's canonical JSON, so states read "CONTAINER_RUNNING" rather than 1 and
 * 64-bit numbers do not lose precision, with zero values kept (an exit code of 0 is
 * information).
 */
import { type DescMessage, type JsonValue, type MessageShape, toJson } from "@bufbuild/protobuf";

/** One message as canonical proto JSON, zero values included. */
export function protoJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc> | undefined): JsonValue {
  return message === undefined ? null : toJson(schema, message, { alwaysEmitImplicit: true });
}
