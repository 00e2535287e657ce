/**
 * Bearer tokens from registry token servers, cached per (realm, service, scope, who
 * asked) until shortly before they expire. Shared by every client of a daemon, so a
 * pull of 20 layers asks the token server once.
 */

export type TokenCache = {
  get(key: string): string | undefined;
  set(key: string, token: string, expiresAt: number): void;
  delete(key: string): void;
};

/** A bound on entries: each distinct (repository, credentials) pair is one. */
const MAX_ENTRIES = 1024;

export function createTokenCache(now: () => number = Date.now): TokenCache {
  const entries = new Map<string, { token: string; expiresAt: number }>();
  return {
    get(key) {
      const e = entries.get(key);
      if (!e) return undefined;
      if (e.expiresAt <= now()) {
        entries.delete(key);
        return undefined;
      }
      return e.token;
    },
    set(key, token, expiresAt) {
      if (entries.size >= MAX_ENTRIES) {
        const t = now();
        for (const [k, e] of entries) if (e.expiresAt <= t) entries.delete(k);
        // Still full: drop the oldest insertion.
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
      }
      entries.set(key, { token, expiresAt });
    },
    delete(key) {
      entries.delete(key);
    },
  };
}

/**
 * When to stop using a token issued now with `expires_in` seconds: 60 s when the
 * server does not say (the token spec's default), and a margin so a token does not
 * expire between our check and the registry's.
 */
export function tokenExpiry(now: number, expiresInSeconds: unknown): number {
  const seconds =
    typeof expiresInSeconds === "number" && Number.isFinite(expiresInSeconds) && expiresInSeconds > 0
      ? expiresInSeconds
      : 60;
  const margin = Math.min(30, seconds / 10);
  return now + (seconds - margin) * 1000;
}
