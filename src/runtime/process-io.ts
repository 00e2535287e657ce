/**
 * The stdio of an interactive exec or attach, as the streaming server hands it to the
 * runtime: each side is optional (the client asks for the ones it wants), and every sink
 * is flow-controlled, so a client that reads slowly slows the process down instead of
 * filling skiff's memory.
 */

/** A byte sink whose `write` resolves once the bytes are taken (its peer has room). */
export interface ByteSink {
  write(chunk: Uint8Array): Promise<void>;
  /** No more bytes: the client sees the end of this stream. */
  end(): Promise<void>;
}

export type TerminalSize = { width: number; height: number };

export type ProcessIo = {
  /** The client's input; ends when the client closes stdin. */
  stdin?: ReadableStream<Uint8Array>;
  stdout?: ByteSink;
  stderr?: ByteSink;
  /** Terminal size changes (tty only); ends with the session. */
  resize?: AsyncIterable<TerminalSize>;
};
