/**
 * What makes a request's header fields malformed (RFC 9113 §8.2, §8.3.1): the server
 * resets such a stream (PROTOCOL_ERROR) instead of guessing what was meant.
 */

const PSEUDO = new Set([":method", ":scheme", ":authority", ":path"]);
/** Fields that belong to an HTTP/1.1 connection, never to an HTTP/2 request. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
/** A field name: token characters, lowercase (RFC 9110 §5.1, RFC 9113 §8.2.1). */
const NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
/** A value may not hold NUL, CR or LF, nor start or end with a space or tab. */
const BAD_VALUE = /[\0\r\n]|^[ \t]|[ \t]$/;

/** Why `fields` are not a well-formed request, or undefined when they are. */
export function checkRequestFields(fields: readonly (readonly [string, string])[]): string | undefined {
  const seen = new Set<string>();
  let regular = false;
  for (const [name, value] of fields) {
    if (name.startsWith(":")) {
      if (regular) return `pseudo-header ${name} after a regular field`;
      if (!PSEUDO.has(name)) return `unknown pseudo-header ${name}`;
      if (seen.has(name)) return `pseudo-header ${name} twice`;
      seen.add(name);
      if (value === "") return `empty ${name}`;
      continue;
    }
    regular = true;
    if (!NAME.test(name)) return `field name ${JSON.stringify(name)} is not a lowercase token`;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
    if (name === "te" && value !== "trailers") return `te: ${value} (only "trailers" is allowed)`;
    if (BAD_VALUE.test(value)) return `the value of ${name} holds NUL, CR or LF, or starts or ends with white space`;
  }
  for (const required of [":method", ":scheme", ":path"]) if (!seen.has(required)) return `no ${required}`;
  return undefined;
}
