/**
 * A header block that cannot be decoded. HPACK state belongs to the whole connection, so
 * after this the tables are out of step: the connection must end with
 * GOAWAY(COMPRESSION_ERROR) (RFC 9113 §4.3).
 */
export class HpackError extends Error {
  override name = "HpackError";
}
