/**
 * The SPDY/3 header compression dictionary (draft 3.1, section 2.6.10.1): every header
 * block compressor and decompressor starts from it. It is 1423 bytes: 65 words, each
 * preceded by its length as a 32-bit big-endian integer, then a run of status codes,
 * reason phrases, dates and media types without separators. Written here as that list
 * so it can be read; the unit test pins its length and its Adler-32 (the DICTID that
 * every SPDY/3 zlib stream names in its header).
 */

const WORDS = [
  "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset",
  "accept-encoding", "accept-language", "accept-ranges", "age", "allow", "authorization",
  "cache-control", "connection", "content-base", "content-encoding", "content-language",
  "content-length", "content-location", "content-md5", "content-range", "content-type",
  "date", "etag", "expect", "expires", "from", "host", "if-match", "if-modified-since",
  "if-none-match", "if-range", "if-unmodified-since", "last-modified", "location",
  "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
  "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent",
  "vary", "via", "warning", "www-authenticate", "method", "get", "status", "200 OK",
  "version", "HTTP/1.1", "url", "public", "set-cookie", "keep-alive", "origin",
];

const TAIL = [
  "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505",
  "203 Non-Authoritative Information",
  "204 No Content",
  "301 Moved Permanently",
  "400 Bad Request",
  "401 Unauthorized",
  "403 Forbidden",
  "404 Not Found",
  "500 Internal Server Error",
  "501 Not Implemented",
  "503 Service Unavailable",
  "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 ",
  "Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT",
  "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,text/javascript,",
  "publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.",
].join("");

function build(): Uint8Array {
  const size = WORDS.reduce((n, w) => n + 4 + w.length, 0) + TAIL.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const w of WORDS) {
    view.setUint32(at, w.length);
    out.set(new TextEncoder().encode(w), at + 4);
    at += 4 + w.length;
  }
  out.set(new TextEncoder().encode(TAIL), at);
  return out;
}

/** The dictionary's bytes. Never mutate. */
export const SPDY3_DICTIONARY: Uint8Array = build();
