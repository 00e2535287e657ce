/**
 * Sockets for H2Connection: a unix socket through Bun.listen (Linux: no node:net stream
 * per connection, which is lighter to hold and to run), or anything node:net listens on
 * (Windows named pipes). Both hand the connection every byte and tell it when the socket
 * drains or closes.
 */
import type * as net from "node:net";
import type { H2Connection, Transport } from "./connection.ts";

/** Makes the connection for a new socket, or undefined to refuse it (the socket is closed). */
export type Accept = (transport: Transport) => H2Connection | undefined;

export type Listener = {
  /** Stops taking connections; open ones are the caller's to close. */
  stop(): void;
};

/** Bytes a transport may hold unsent before it asks the connection to wait. */
const HIGH_WATER = 256 * 1024;
/**
 * How long an ended socket may take to send what it still holds (a GOAWAY, the last
 * answers) before it is closed anyway: a peer that stops reading must not keep it.
 */
const END_GRACE_MS = 5_000;

type BunSocket = import("bun").Socket<BunSocketState>;
type BunSocketState = { conn?: H2Connection; rest?: Uint8Array; ending?: boolean };

/** A Bun socket as a Transport: what the kernel does not take now is kept and sent on drain. */
function bunTransport(socket: BunSocket): Transport {
  const state = socket.data;
  return {
    write(bytes) {
      if (state.rest) {
        state.rest = Buffer.concat([state.rest, bytes]);
        return state.rest.byteLength < HIGH_WATER;
      }
      const n = Math.max(0, socket.write(bytes));
      if (n === bytes.byteLength) return true;
      state.rest = bytes.subarray(n);
      return false;
    },
    end() {
      if (state.rest) state.ending = true;
      else socket.end();
      setTimeout(() => socket.terminate(), END_GRACE_MS).unref();
    },
    destroy() {
      socket.terminate();
    },
  };
}

/** Listens on the unix socket `path` with Bun.listen. */
export function listenUnix(path: string, accept: Accept): Listener {
  const server = Bun.listen<BunSocketState>({
    unix: path,
    socket: {
      open(socket) {
        socket.data = {};
        const conn = accept(bunTransport(socket));
        if (!conn) return void socket.terminate();
        socket.data.conn = conn;
      },
      data(socket, chunk) {
        socket.data.conn?.receive(chunk);
      },
      drain(socket) {
        const state = socket.data;
        if (state.rest) {
          const n = Math.max(0, socket.write(state.rest));
          if (n < state.rest.byteLength) {
            state.rest = state.rest.subarray(n);
            return;
          }
          state.rest = undefined;
          if (state.ending) return void socket.end();
        }
        state.conn?.writable();
      },
      close(socket) {
        socket.data.conn?.transportClosed();
      },
      error(socket) {
        socket.data.conn?.transportClosed();
      },
    },
  });
  return { stop: () => server.stop(false) };
}

/** A node:net socket as a Transport: node keeps what it cannot send; we wait for its 'drain'. */
function netTransport(sock: net.Socket): Transport {
  return {
    write: (bytes) => sock.write(bytes),
    end() {
      sock.end();
      setTimeout(() => sock.destroy(), END_GRACE_MS).unref();
    },
    destroy: () => void sock.destroy(),
  };
}

/** Listens with node:net on `path` (a named pipe on Windows; a unix socket works too). */
export async function listenNet(path: string, accept: Accept): Promise<Listener> {
  const net = await import("node:net");
  const server = net.createServer((sock) => {
    const conn = accept(netTransport(sock));
    if (!conn) return void sock.destroy();
    sock.on("data", (chunk: Buffer) => conn.receive(chunk));
    sock.on("drain", () => conn.writable());
    sock.on("close", () => conn.transportClosed());
    sock.on("error", () => conn.transportClosed());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return { stop: () => void server.close() };
}
