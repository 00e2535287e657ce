/**
 * Where the SPDY/3.1 session comes from: the `./spdy/` module, once it is in this build.
 * Until then SPDY upgrades are refused (501) and the client verbs need `--transport websocket`.
 */
import type { CreateSpdySession } from "./spdy-session.ts";

export function spdySessionFactory(): CreateSpdySession | undefined {
  return undefined;
}
