/**
 * Errors from talking to a registry, and the translation of an error response (status
 * plus the distribution spec's `{"errors":[{"code","message"}]}` body) into the
 * domain error that says what it means: 404 is NotFound, 429/5xx Unavailable.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes
 */
import { NotFoundError, SkiffError, UnavailableError } from "../../errors.ts";
import { readLimitedText } from "./body.ts";

/** A registry answered with an error we have no better class for. */
export class RegistryError extends SkiffError {
  constructor(
    message: string,
    /** HTTP status, when there was a response. */
    readonly status?: number,
    /** The distribution spec error codes in the body (`DENIED`, `UNAUTHORIZED`, …). */
    readonly codes: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The registry or its token server refused us (401/403). The message never holds a secret. */
export class RegistryAuthError extends RegistryError {}

/** Content did not match its descriptor: wrong digest or wrong size. */
export class DigestMismatchError extends SkiffError {}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * Builds the error for a non-success response; `what` says what we did
 * (`fetch manifest "busybox:latest"`), `where` names the endpoint.
 * Consumes the body.
 */
export async function errorFromResponse(res: Response, what: string, where: string): Promise<Error> {
  const codes: string[] = [];
  const details: string[] = [];
  let text = "";
  try {
    text = await readLimitedText(res, MAX_ERROR_BODY);
    const body = JSON.parse(text) as { errors?: Array<{ code?: unknown; message?: unknown }> };
    for (const e of Array.isArray(body.errors) ? body.errors.slice(0, 5) : []) {
      if (typeof e?.code === "string") codes.push(e.code);
      if (typeof e?.code === "string" || typeof e?.message === "string") {
        details.push([e.code, e.message].filter((x) => typeof x === "string").join(": "));
      }
    }
  } catch {
    // Not JSON: the first line of a short text body often says what is wrong
    // ("Client sent an HTTP request to an HTTPS server.").
    const line = text.split("\n")[0]!.trim();
    if (line && line.length <= 200 && !/<[a-z!]/i.test(line)) details.push(line);
  }
  const detail = details.length ? ` (${clip(details.join("; "))})` : "";
  const message = `${what} from "${where}": HTTP ${res.status}${detail}`;
  switch (true) {
    case res.status === 404:
      return new NotFoundError(message);
    case res.status === 401 || res.status === 403:
      return new RegistryAuthError(message, res.status, codes);
    case res.status === 429 || res.status >= 500:
      return new UnavailableError(message, { cause: new RegistryError(message, res.status, codes) });
    default:
      return new RegistryError(message, res.status, codes);
  }
}

function clip(s: string): string {
  return s.length > 300 ? `${s.slice(0, 297)}...` : s;
}
