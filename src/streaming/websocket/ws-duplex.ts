/**
 * A WebSocket as a byte stream, for SPDY tunnelled over WebSocket
 * (`SPDY/3.1+portforward.k8s.io`, how current kubectl port-forwards through the API
 * server): each binary message carries the next SPDY bytes and each write goes out as one
 * binary message, as client-go's TunnelingConnection does. A text message breaks the tunnel.
 */
import { Duplex } from "node:stream";
import { CLOSE } from "./ws-frame.ts";
import type { WsConnection } from "./ws-connection.ts";

export function wsDuplex(ws: WsConnection): Duplex {
  let wantMore: (() => void) | undefined;
  const duplex = new Duplex({
    read() {
      wantMore?.();
      wantMore = undefined;
    },
    write(chunk: Buffer, _enc, cb) {
      ws.send(chunk).then(() => cb(), cb);
    },
    final(cb) {
      ws.close(CLOSE.normal);
      cb();
    },
    destroy(err, cb) {
      if (err) ws.destroy(err);
      else ws.close(CLOSE.normal);
      cb(err);
    },
  });
  ws.start(async (m) => {
    if (!m.binary) {
      ws.fail(CLOSE.invalidData, "a SPDY tunnel carries binary messages only");
      return;
    }
    // Hold the next message back until the reader wants more.
    if (!duplex.push(m.data)) await new Promise<void>((resolve) => (wantMore = resolve));
  });
  void ws.closed.then((info) => {
    if (info.error) duplex.destroy(info.error);
    else duplex.push(null);
  });
  return duplex;
}
