// Tokens the simulator issued, by value. A token is valid until its expiry
// (judged by the injected wall clock), until a newer token for the same app
// key replaces it (when `invalidatePreviousToken`), until it is revoked, or
// until a test calls `expireAll()`. With `sameTokenWhileValid`, au10001 hands
// back the app key's current token (and its expiry) while it is valid, as
// some users report the live service does, even minutes before expiry.
import { randomBytes } from 'node:crypto';

const KST_OFFSET_MS = 9 * 60 * 60 * 1000;

interface TokenEntry {
  appKey: string;
  expiresAtMs: number;
  valid: boolean;
}

export interface IssuedSimToken {
  token: string;
  /** `YYYYMMDDHHmmss`, Korea Standard Time (UTC+9, no DST), as au10001 writes it. */
  expiresDt: string;
}

export class TokenBook {
  private readonly tokens = new Map<string, TokenEntry>();
  private issued = 0;

  constructor(
    private readonly now: () => Date,
    public ttlMs: number,
    private readonly invalidatePrevious: boolean,
    private readonly sameTokenWhileValid = false,
  ) {}

  issue(appKey: string): IssuedSimToken {
    if (this.sameTokenWhileValid) {
      const current = this.#validTokenOf(appKey);
      if (current !== undefined) return current;
    }
    if (this.invalidatePrevious) {
      for (const entry of this.tokens.values()) if (entry.appKey === appKey) entry.valid = false;
    }
    // Live tokens are long opaque strings; 64 random bytes keeps them unguessable.
    const token = randomBytes(64).toString('base64url');
    const expiresAtMs = this.now().getTime() + this.ttlMs;
    this.tokens.set(token, { appKey, expiresAtMs, valid: true });
    this.issued += 1;
    return { token, expiresDt: formatKstDateTime(new Date(expiresAtMs)) };
  }

  #validTokenOf(appKey: string): IssuedSimToken | undefined {
    let newest: [string, TokenEntry] | undefined;
    for (const [token, entry] of this.tokens) {
      if (entry.appKey !== appKey || this.appKeyOf(token) === undefined) continue;
      if (newest === undefined || entry.expiresAtMs > newest[1].expiresAtMs) newest = [token, entry];
    }
    return newest && { token: newest[0], expiresDt: formatKstDateTime(new Date(newest[1].expiresAtMs)) };
  }

  /** The app key a token was issued to, if the token is still valid. */
  appKeyOf(token: string): string | undefined {
    const entry = this.tokens.get(token);
    if (entry === undefined || !entry.valid || this.now().getTime() >= entry.expiresAtMs) return undefined;
    return entry.appKey;
  }

  /** Whether `token` was issued to `appKey` (valid or not); revoking then invalidates it. */
  revoke(appKey: string, token: string): boolean {
    const entry = this.tokens.get(token);
    if (entry === undefined || entry.appKey !== appKey) return false;
    entry.valid = false;
    return true;
  }

  expireAll(): void {
    for (const entry of this.tokens.values()) entry.valid = false;
  }

  /** New tokens created (a token handed back again is not counted twice). */
  get issuedCount(): number {
    return this.issued;
  }
}

export function formatKstDateTime(instant: Date): string {
  const kst = new Date(instant.getTime() + KST_OFFSET_MS);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return (
    pad(kst.getUTCFullYear(), 4) +
    pad(kst.getUTCMonth() + 1) +
    pad(kst.getUTCDate()) +
    pad(kst.getUTCHours()) +
    pad(kst.getUTCMinutes()) +
    pad(kst.getUTCSeconds())
  );
}
