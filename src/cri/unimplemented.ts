import type { DescService } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { NotSupportedError } from "../errors.ts";
import type { RpcService } from "../server/rpc.ts";

/** Which issue will build each part of the CRI, so the message tells an operator where it stands. */
export type PlannedWork = (methodName: string) => string;

/**
 * Completes a partial service implementation: every method not given answers
 * `Unimplemented` with a message naming the RPC, rather than connect's generic text.
 * Streaming methods fail on first read, the same way.
 */
export function withUnimplemented<S extends DescService>(
  service: RpcService,
  impl: Partial<ServiceImpl<S>>,
  planned: PlannedWork,
): ServiceImpl<S> {
  const full: Record<string, unknown> = { ...impl };
  for (const method of Object.values(service.methods)) {
    if (full[method.localName]) continue;
    const message = `${service.typeName}/${method.name} is not implemented in skiff yet (${planned(method.name)})`;
    full[method.localName] =
      method.kind === "unary" || method.kind === "client_streaming"
        ? async () => {
            throw new NotSupportedError(message);
          }
        : async function* () {
            throw new NotSupportedError(message);
          };
  }
  return full as ServiceImpl<S>;
}
