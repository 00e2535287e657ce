/** Where the SPDY/3.1 session comes from: the `./spdy/` module. */
import type { CreateSpdySession } from "./spdy-session.ts";
import { createSpdySession } from "./spdy/index.ts";

export function spdySessionFactory(): CreateSpdySession | undefined {
  return createSpdySession;
}
