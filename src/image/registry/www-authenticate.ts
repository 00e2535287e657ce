/**
 * A parser for `WWW-Authenticate` headers (RFC 9110 §11.6.1): one header may carry
 * several challenges, each a scheme followed by either a token68 or a comma-separated
 * list of `name=value` parameters whose values may be quoted strings with `\` escapes.
 * Registries send `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`.
 */

export type Challenge = {
  /** Lowercased scheme: `bearer`, `basic`, … */
  scheme: string;
  /** Parameters with lowercased names; the first of duplicate names wins. */
  params: Record<string, string>;
  /** A token68 instead of parameters (rare for registries). */
  token68?: string;
};

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/** Parses every challenge in a header value; unparseable tails are dropped, never thrown. */
export function parseWwwAuthenticate(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipWs = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const skipWsAndCommas = () => {
    while (i < n && (header[i] === " " || header[i] === "\t" || header[i] === ",")) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && TCHAR.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const quoted = (): string | undefined => {
    // At the opening quote.
    i++;
    let value = "";
    while (i < n) {
      const c = header[i]!;
      if (c === "\\" && i + 1 < n) {
        value += header[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return value;
      } else {
        value += c;
        i++;
      }
    }
    return undefined; // unterminated
  };

  skipWsAndCommas();
  while (i < n) {
    const scheme = token();
    if (!scheme) break;
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: Object.create(null) };
    out.push(challenge);
    skipWs();

    // A token68 is followed only by "="s and then a comma or the end.
    const t68 = /^[A-Za-z0-9\-._~+/]+=*/.exec(header.slice(i));
    if (t68 && TOKEN68_CHAR.test(header[i] ?? "")) {
      const after = i + t68[0].length;
      let j = after;
      while (j < n && (header[j] === " " || header[j] === "\t")) j++;
      const looksLikeParam = header[after - 1] === "=" ? false : header[j] === "=";
      if (!looksLikeParam && (j >= n || header[j] === ",")) {
        challenge.token68 = t68[0];
        i = j;
        skipWsAndCommas();
        continue;
      }
    }

    // Parameters until a token that is not followed by "=" (the next scheme).
    for (;;) {
      skipWsAndCommas();
      const save = i;
      const name = token();
      if (!name) break;
      skipWs();
      if (header[i] !== "=") {
        i = save; // next challenge's scheme
        break;
      }
      i++;
      skipWs();
      let value: string | undefined;
      if (header[i] === '"') value = quoted();
      else value = token();
      if (value === undefined) return out;
      const key = name.toLowerCase();
      if (!(key in challenge.params)) challenge.params[key] = value;
    }
    challenge.params = { ...challenge.params };
  }
  return out;
}
