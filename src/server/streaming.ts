/** Starts the exec/attach/port-forward server from the config, for the daemon. */
import type { Logger } from "../logger.ts";
import type { Config } from "../config/index.ts";
import type { CriContext } from "../cri/context.ts";
import { NotSupportedError } from "../errors.ts";
import { createPodBackend } from "../streaming/pod-backend.ts";
import { type StreamingServer, startStreamingServer } from "../streaming/streaming-server.ts";
import { loadOrMakeCertificate } from "../streaming/tls-cert.ts";
import { spdySessionFactory } from "../streaming/spdy-factory.ts";

export async function startStreaming(config: Config, ctx: CriContext, log: Logger): Promise<StreamingServer> {
  const st = config.streaming;
  const tls = st.enableTls ? await loadOrMakeCertificate(st.tlsCertFile, st.tlsKeyFile) : undefined;
  const pods = () => {
    if (!ctx.pods) throw new NotSupportedError(`pods and containers are not available: ${ctx.podsUnavailable ?? "not built for this OS yet"}`);
    return ctx.pods;
  };
  return startStreamingServer({
    address: st.address,
    tls,
    idleTimeoutMs: st.idleTimeoutMs,
    tokenTtlMs: st.tokenTtlMs,
    backend: createPodBackend(pods, ctx.platform),
    createSpdySession: spdySessionFactory(),
    log,
  });
}
