// The deployed token source. One Lambda (functions/handlers/token.ts) is the
// only issuer for the app key, because a new token may invalidate the previous
// one; every scan reads the token it stored in Secrets Manager. When Kiwoom
// rejects the token (8005 & co), the scan first re-reads the secret (the token
// function may already have replaced it) and only asks the token function for
// a new one when the secret still holds the rejected token. A token near its
// expiry is used until it really expires: the token function is asked at most
// once per few minutes (Kiwoom may hand the same token back), never per call.
import { createHash } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  AppCredentialsError,
  AppCredentialsNotSetError,
  TokenFunctionError,
  TokenStoreError,
  TokenUnavailableError,
} from './errors.ts';
import { raceAbort } from './abort.ts';
import { MIN_REISSUE_INTERVAL_MS } from './token.ts';
import type { AppCredentials, IssuedToken, TokenSource } from './types.ts';

/** A token as the secret holds it, with the non-secret id of the app key it was issued for (when written). */
export type StoredToken = IssuedToken & { appKeyId?: string };

/** Refresh this long before expiry, as the vendor's own client does. */
export const TOKEN_REFRESH_MARGIN_MS = 10 * 60_000;

/**
 * The app key the stack writes into the credentials secret until the user
 * puts the real one there (README, "Put the Kiwoom app credentials"). Recognised so the token function
 * can say so instead of sending a placeholder to Kiwoom.
 */
export const APP_KEY_PLACEHOLDER = 'replace-with-your-kiwoom-appkey';

/** The command that puts the real credentials (README, "Put the Kiwoom app credentials"; the ARN is a stack output). */
export const PUT_APP_CREDENTIALS_COMMAND =
  'aws secretsmanager put-secret-value --secret-id <KiwoomAppSecretArn> --secret-string \'{"appkey":"…","secretkey":"…"}\'';

/** Why nothing can be issued until the credentials are put, and how to put them. */
export const APP_CREDENTIALS_NOT_SET_MESSAGE =
  'the Kiwoom app credentials are not configured: the app credentials secret still holds the placeholder the stack created; ' +
  `put the app key and secret key Kiwoom issued (README, "Put the Kiwoom app credentials"): ${PUT_APP_CREDENTIALS_COMMAND}`;

const KST_OFFSET_MS = 9 * 3_600_000;

// The errors of this path live with the rest of the family (errors.ts), so
// the scan stops the run on them like on any other run-wide Kiwoom failure.
export {
  AppCredentialsError,
  AppCredentialsNotSetError,
  TokenFunctionError,
  TokenStoreError,
  TokenUnavailableError,
} from './errors.ts';

// ── the token secret's JSON ──────────────────────────────────────────────────

/** The token secret: `{"token","expires_dt":"YYYYMMDDHHmmss" (KST),"expires_at":ISO,"app_key_id"}`. */
export interface TokenSecretValue {
  token: string;
  expires_dt: string;
  expires_at: string;
  /** appKeyId() of the app key: scopes the scan lease the same way a CLI run with that key does. */
  app_key_id?: string;
}

/** SHA-256 (hex) of a token: how the scan names a rejected token without sending it. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `expires_dt` as Kiwoom writes it: KST, `YYYYMMDDHHmmss`. */
export function formatExpiresDt(expiresAt: Date): string {
  const kst = new Date(expiresAt.getTime() + KST_OFFSET_MS).toISOString(); // 2024-11-07T08:37:13.000Z
  return kst.slice(0, 19).replace(/[-T:]/g, '');
}

export function toTokenSecretValue(issued: IssuedToken, appKeyId?: string): TokenSecretValue {
  return {
    token: issued.token,
    expires_dt: formatExpiresDt(issued.expiresAt),
    expires_at: issued.expiresAt.toISOString(),
    ...(appKeyId === undefined ? {} : { app_key_id: appKeyId }),
  };
}

/** The stored token, or undefined when the secret is empty, a placeholder or unparsable. */
export function parseTokenSecret(text: string | undefined): StoredToken | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { token, expires_at: expiresAtText, app_key_id: id } = value as Record<string, unknown>;
  if (typeof token !== 'string' || token.trim() === '' || typeof expiresAtText !== 'string') return undefined;
  const expiresAt = new Date(expiresAtText);
  if (Number.isNaN(expiresAt.getTime())) return undefined;
  return { token, expiresAt, ...(typeof id === 'string' && id !== '' ? { appKeyId: id } : {}) };
}

/** The app credentials secret: `{"appkey":"…","secretkey":"…"}`. */
export function parseAppCredentials(text: string | undefined): AppCredentials {
  let value: unknown;
  try {
    value = text === undefined ? undefined : JSON.parse(text);
  } catch {
    throw new AppCredentialsError('the app credentials secret is not JSON; expected {"appkey":"…","secretkey":"…"}');
  }
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const { appkey: appKey, secretkey: secretKey } = record;
  if (typeof appKey !== 'string' || appKey.trim() === '' || typeof secretKey !== 'string' || secretKey.trim() === '') {
    throw new AppCredentialsError('the app credentials secret needs string fields "appkey" and "secretkey"');
  }
  if (appKey === APP_KEY_PLACEHOLDER) throw new AppCredentialsNotSetError(APP_CREDENTIALS_NOT_SET_MESSAGE);
  return { appKey, secretKey };
}

// ── Secrets Manager access ───────────────────────────────────────────────────

export interface TokenSecretStoreOptions {
  secrets: SecretsManagerClient;
  tokenSecretArn: string;
  /** Only the token function reads the app credentials. */
  appSecretArn?: string;
}

/** Reads and writes the two secrets; knows their JSON shapes, logs nothing. */
export class TokenSecretStore {
  readonly #secrets: SecretsManagerClient;
  readonly #tokenSecretArn: string;
  readonly #appSecretArn: string | undefined;

  constructor(options: TokenSecretStoreOptions) {
    this.#secrets = options.secrets;
    this.#tokenSecretArn = options.tokenSecretArn;
    this.#appSecretArn = options.appSecretArn;
  }

  async readToken(): Promise<StoredToken | undefined> {
    try {
      const answer = await this.#secrets.send(new GetSecretValueCommand({ SecretId: this.#tokenSecretArn }));
      return parseTokenSecret(answer.SecretString);
    } catch (error) {
      // A secret with no value yet is a missing token, not a failure.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw new TokenStoreError('reading the token secret failed', { cause: stripped(error) });
    }
  }

  async writeToken(issued: IssuedToken, appKeyId?: string): Promise<void> {
    try {
      await this.#secrets.send(
        new PutSecretValueCommand({
          SecretId: this.#tokenSecretArn,
          SecretString: JSON.stringify(toTokenSecretValue(issued, appKeyId)),
        }),
      );
    } catch (error) {
      throw new TokenStoreError('writing the token secret failed', { cause: stripped(error) });
    }
  }

  async readAppCredentials(): Promise<AppCredentials> {
    if (this.#appSecretArn === undefined) {
      throw new AppCredentialsError('no app credentials secret configured (KIWOOM_APP_SECRET_ARN)');
    }
    let text: string | undefined;
    try {
      const answer = await this.#secrets.send(new GetSecretValueCommand({ SecretId: this.#appSecretArn }));
      text = answer.SecretString;
    } catch (error) {
      throw new AppCredentialsError('reading the app credentials secret failed', { cause: stripped(error) });
    }
    return parseAppCredentials(text);
  }
}

// An SDK error can keep the request (and so a PutSecretValue's SecretString)
// reachable from its properties; keep only its name and message.
function stripped(error: unknown): Error {
  if (!(error instanceof Error)) return new Error(String(error));
  const copy = new Error(error.message);
  copy.name = error.name;
  return copy;
}

// ── the token source the scan uses ───────────────────────────────────────────

/** What the token function accepts (functions/handlers/token.ts). */
export type TokenFunctionEvent =
  | { action: 'ensure'; min_valid_minutes?: number }
  | { action: 'renew'; rejected_token_sha256: string };

/** What the token function returns: never the token itself. */
export interface TokenFunctionResult {
  renewed: boolean;
  expires_at: string;
  /** The app credentials secret still holds the stack's placeholder: nothing was issued. */
  not_configured?: true;
}

export interface SecretsManagerTokenSourceOptions {
  secrets: SecretsManagerClient;
  lambda: LambdaClient;
  tokenSecretArn: string;
  tokenFunctionName: string;
  now?: () => Date;
  /** Default 10 minutes. */
  refreshMarginMs?: number;
  /** At most one refresh per this long for a token that is only close to expiry (default 5 minutes). */
  minRefreshIntervalMs?: number;
}

/**
 * Reads the token the token function stored, caches it for the life of the
 * process, and asks the token function (never Kiwoom) for a new one.
 */
export class SecretsManagerTokenSource implements TokenSource {
  readonly #store: TokenSecretStore;
  readonly #lambda: LambdaClient;
  readonly #tokenFunctionName: string;
  readonly #now: () => Date;
  readonly #marginMs: number;
  readonly #minRefreshMs: number;
  #cached: StoredToken | undefined;
  #lastRefreshAt = Number.NEGATIVE_INFINITY;
  #refreshing: Promise<string> | undefined;
  #renewing: Promise<string> | undefined;

  constructor(options: SecretsManagerTokenSourceOptions) {
    this.#store = new TokenSecretStore({ secrets: options.secrets, tokenSecretArn: options.tokenSecretArn });
    this.#lambda = options.lambda;
    this.#tokenFunctionName = options.tokenFunctionName;
    this.#now = options.now ?? (() => new Date());
    this.#marginMs = options.refreshMarginMs ?? TOKEN_REFRESH_MARGIN_MS;
    this.#minRefreshMs = options.minRefreshIntervalMs ?? MIN_REISSUE_INTERVAL_MS;
  }

  async get(signal?: AbortSignal): Promise<string> {
    const cached = this.#cached;
    if (cached !== undefined && this.#stillServes(cached)) return cached.token;
    this.#refreshing ??= this.#refresh().finally(() => {
      this.#refreshing = undefined;
    });
    return raceAbort(this.#refreshing, signal);
  }

  async renew(rejected: string, signal?: AbortSignal): Promise<string> {
    // Concurrent calls that met the same 8005 share one operation, so the
    // token function is asked at most once for them all. An abort only ends
    // this caller's wait: the token function finishes and writes the secret.
    this.#renewing ??= this.#renew(rejected).finally(() => {
      this.#renewing = undefined;
    });
    return raceAbort(this.#renewing, signal);
  }

  async replaced(rejected: string): Promise<string | undefined> {
    const current = await this.#store.readToken();
    if (current === undefined || current.token === rejected || !this.#isUsable(current)) return undefined;
    this.#cached = current;
    return current.token;
  }

  /**
   * The app key id the token function wrote beside the token, or undefined
   * while the secret holds a token issued before it wrote one.
   */
  async appKeyId(): Promise<string | undefined> {
    if (this.#cached?.appKeyId !== undefined) return this.#cached.appKeyId;
    return (await this.#store.readToken())?.appKeyId;
  }

  #isFresh(token: IssuedToken): boolean {
    return this.#now().getTime() < token.expiresAt.getTime() - this.#marginMs;
  }

  /** Fresh, or near expiry but refreshed only a moment ago (Kiwoom handed back the same token). */
  #stillServes(token: IssuedToken): boolean {
    if (!this.#isUsable(token)) return false;
    return this.#isFresh(token) || this.#now().getTime() - this.#lastRefreshAt < this.#minRefreshMs;
  }

  async #refresh(): Promise<string> {
    this.#lastRefreshAt = this.#now().getTime();
    let stored = await this.#store.readToken();
    if (stored === undefined || !this.#isFresh(stored)) {
      // Ask for enough headroom that the next get() does not come back at once.
      const answer = await this.#invoke({ action: 'ensure', min_valid_minutes: Math.ceil((this.#marginMs * 3) / 60_000) });
      stored = await this.#store.readToken();
      if (stored === undefined || !this.#isUsable(stored)) notConfiguredStops(answer);
    }
    if (stored === undefined || stored.expiresAt.getTime() <= this.#now().getTime()) {
      throw new TokenUnavailableError('the token secret holds no valid token after asking the token function');
    }
    this.#cached = stored;
    return stored.token;
  }

  async #renew(rejected: string): Promise<string> {
    const current = await this.#store.readToken();
    if (current !== undefined && current.token !== rejected && this.#isUsable(current)) {
      this.#cached = current;
      return current.token;
    }
    const answer = await this.#invoke({ action: 'renew', rejected_token_sha256: tokenSha256(rejected) });
    const renewed = await this.#store.readToken();
    if (renewed === undefined || renewed.token === rejected || !this.#isUsable(renewed)) {
      notConfiguredStops(answer);
      throw new TokenUnavailableError('the token function did not replace the rejected token');
    }
    this.#cached = renewed;
    return renewed.token;
  }

  #isUsable(token: IssuedToken): boolean {
    return token.expiresAt.getTime() > this.#now().getTime();
  }

  async #invoke(event: TokenFunctionEvent): Promise<TokenFunctionResult> {
    let answer;
    try {
      answer = await this.#lambda.send(
        new InvokeCommand({
          FunctionName: this.#tokenFunctionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
    } catch (error) {
      throw new TokenFunctionError(`invoking the token function (${event.action}) failed`, null, {
        cause: stripped(error),
      });
    }
    const text = answer.Payload === undefined ? '' : new TextDecoder().decode(answer.Payload);
    if (answer.FunctionError !== undefined) {
      // The payload is {errorType, errorMessage}; the token function's errors
      // never contain the token or the keys (Kiwoom's messages are redacted),
      // so both are safe to pass on, and the message says what to fix.
      const remote = remoteErrorOf(text);
      throw new TokenFunctionError(
        `the token function failed (${event.action}): ${remote.type ?? answer.FunctionError}${remote.message ? `: ${remote.message}` : ''}`,
        answer.FunctionError,
      );
    }
    try {
      const result = JSON.parse(text) as TokenFunctionResult;
      if (typeof result.renewed !== 'boolean') throw new Error('no "renewed" field');
      return result;
    } catch (error) {
      throw new TokenFunctionError(`the token function answered something unexpected (${event.action})`, null, {
        cause: stripped(error),
      });
    }
  }
}

/**
 * The token function answers `not_configured` (instead of failing) while the
 * credentials secret holds the placeholder; with no usable token that is
 * not a passing gap but the reason, so the run stops saying what to do.
 */
function notConfiguredStops(answer: TokenFunctionResult): void {
  if (answer.not_configured === true) throw new AppCredentialsNotSetError(APP_CREDENTIALS_NOT_SET_MESSAGE);
}

const MAX_REMOTE_MESSAGE = 300;

function remoteErrorOf(payload: string): { type?: string; message?: string } {
  try {
    const value = JSON.parse(payload) as { errorType?: unknown; errorMessage?: unknown };
    return {
      ...(typeof value.errorType === 'string' ? { type: value.errorType } : {}),
      ...(typeof value.errorMessage === 'string' ? { message: value.errorMessage.slice(0, MAX_REMOTE_MESSAGE) } : {}),
    };
  } catch {
    return {};
  }
}
