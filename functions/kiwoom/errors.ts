// Kiwoom's answers, turned into a small family of errors keyed by what the
// caller does next. The live servers wrap the documented detail codes: the
// top-level `return_code` is a category (3 = authentication, 5 = quota, …)
// and the detail code sits in brackets inside `return_msg`
// (`인증에 실패했습니다[8005:Token이 유효하지 않습니다]`, `[2000](RC9000…)`).
// Older documentation and the vendor's sample put the detail code at the top
// level, so that is the fallback. See shared/kiwoom/README.md.

export type KiwoomErrorKind =
  | 'rate_limited'
  | 'token_invalid'
  | 'bad_credentials'
  | 'mode_mismatch'
  | 'ip_not_allowed'
  | 'unknown_stock'
  | 'bad_input'
  | 'transient'
  | 'token_unavailable'
  | 'aborted';

export interface KiwoomErrorDetails {
  /** Top-level `return_code` as a number (Kiwoom's category), or null when there was none. */
  category?: number | null;
  /** The bracketed detail code (or a top-level code that is itself a detail code). */
  detailCode?: number | null;
  httpStatus?: number | null;
  stkCd?: string | null;
  apiId?: string | null;
  /** Kiwoom's own message text. */
  returnMsg?: string | null;
  cause?: unknown;
}

/**
 * Base of every error the Kiwoom client throws; branch on the subclass. Each
 * subclass spells its `name` as a literal so bundling cannot rename it.
 */
export abstract class KiwoomError extends Error {
  abstract readonly kind: KiwoomErrorKind;
  readonly category: number | null;
  readonly detailCode: number | null;
  readonly httpStatus: number | null;
  readonly stkCd: string | null;
  readonly apiId: string | null;
  readonly returnMsg: string | null;

  constructor(summary: string, details: KiwoomErrorDetails = {}) {
    super(describe(summary, details), details.cause === undefined ? undefined : { cause: details.cause });
    this.category = details.category ?? null;
    this.detailCode = details.detailCode ?? null;
    this.httpStatus = details.httpStatus ?? null;
    this.stkCd = details.stkCd ?? null;
    this.apiId = details.apiId ?? null;
    this.returnMsg = details.returnMsg ?? null;
  }

  /** The answer concerns every code (the key, the host, the IP): stop the whole run. */
  get stopsRun(): boolean {
    return false;
  }

  /** Worth retrying the same call after a backoff. */
  get retryable(): boolean {
    return false;
  }
}

/** 1700 (per API id), 1701 (total), 1702 (group), or HTTP 429: back off and retry. */
export class RateLimitedError extends KiwoomError {
  override readonly name = 'RateLimitedError';
  readonly kind = 'rate_limited';
  /** The server's allowance from `유량=N`, requests per second, when it said. */
  readonly allowance: number | null;
  constructor(details: KiwoomErrorDetails & { allowance?: number | null } = {}) {
    const allowance = details.allowance ?? null;
    super(allowance === null ? 'rate limited' : `rate limited (allowance ${allowance}/s)`, details);
    this.allowance = allowance;
  }
  override get retryable(): boolean {
    return true;
  }
}

/** 8003, 8005, 8006, 8009, 8015, 8016 or HTTP 401: get a new token once, retry once. */
export class TokenInvalidError extends KiwoomError {
  override readonly name = 'TokenInvalidError';
  readonly kind = 'token_invalid';
  constructor(details: KiwoomErrorDetails = {}) {
    super('token rejected', details);
  }
}

/** 8001, 8002, 8011, 8012: the app key or secret key is wrong. */
export class BadCredentialsError extends KiwoomError {
  override readonly name = 'BadCredentialsError';
  readonly kind = 'bad_credentials';
  constructor(details: KiwoomErrorDetails = {}) {
    super('app key or secret key rejected; check the credentials issued by Kiwoom', details);
  }
  override get stopsRun(): boolean {
    return true;
  }
}

/** 8030, 8031: a live-account key on the mock host, or the reverse. */
export class ModeMismatchError extends KiwoomError {
  override readonly name = 'ModeMismatchError';
  readonly kind = 'mode_mismatch';
  constructor(details: KiwoomErrorDetails = {}) {
    super(
      'live/mock mismatch: the app key belongs to the other host (api.kiwoom.com vs mockapi.kiwoom.com)',
      details,
    );
  }
  override get stopsRun(): boolean {
    return true;
  }
}

/** 8010, 8040, 8050, 8103: the calling machine's IP is not allowed for this key or token. */
export class IpNotAllowedError extends KiwoomError {
  override readonly name = 'IpNotAllowedError';
  readonly kind = 'ip_not_allowed';
  constructor(details: KiwoomErrorDetails = {}) {
    super(
      'this machine is not allowed to call Kiwoom: register the public IP of this machine with Kiwoom ' +
        '(live-account keys work only from registered IPs, and a token only from the IP it was issued to)',
      details,
    );
  }
  override get stopsRun(): boolean {
    return true;
  }
}

/** 1901, 1902: Kiwoom does not know the stock code; skip it. */
export class UnknownStockError extends KiwoomError {
  override readonly name = 'UnknownStockError';
  readonly kind = 'unknown_stock';
  constructor(details: KiwoomErrorDetails = {}) {
    super('unknown stock code', details);
  }
}

/** 1501, 1504, 1505, 1511–1517, 1634, 1687, 8020 and any unrecognised non-zero code. */
export class BadInputError extends KiwoomError {
  override readonly name = 'BadInputError';
  readonly kind = 'bad_input';
  constructor(details: KiwoomErrorDetails = {}) {
    super('request rejected', details);
  }
}

/** HTTP 5xx, other 4xx without a classifiable body, timeouts, network errors, garbage bodies. */
export class TransientError extends KiwoomError {
  override readonly name = 'TransientError';
  readonly kind = 'transient';
  constructor(summary: string, details: KiwoomErrorDetails = {}) {
    super(summary, details);
  }
  override get retryable(): boolean {
    return true;
  }
}

/**
 * No usable token could be had: the token function failed, the token secret
 * could not be read, issuance kept failing, or Kiwoom rejected a freshly
 * renewed token too. Every code needs the token, so the run stops at once
 * with this one message and leaves every code for the next run; going on
 * would repeat the failure per code (and Kiwoom may block a key that keeps
 * presenting rejected credentials). Never carries a token or a key.
 */
export class TokenStoreError extends KiwoomError {
  override readonly name: string = 'TokenStoreError';
  readonly kind = 'token_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? {} : { cause: options.cause });
  }
  override get stopsRun(): boolean {
    return true;
  }
}

/** The app credentials secret is missing, unreadable or still holds the placeholder. */
export class AppCredentialsError extends TokenStoreError {
  override readonly name: string = 'AppCredentialsError';
}

/** The app credentials secret still holds the stack's placeholder: not configured yet, rather than wrong. */
export class AppCredentialsNotSetError extends AppCredentialsError {
  override readonly name = 'AppCredentialsNotSetError';
}

/** The token function failed, or answered with something other than its result. */
export class TokenFunctionError extends TokenStoreError {
  override readonly name = 'TokenFunctionError';
  constructor(
    message: string,
    readonly functionError: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** After asking for one (token function or au10001), still no token Kiwoom accepts. */
export class TokenUnavailableError extends TokenStoreError {
  override readonly name = 'TokenUnavailableError';
}

/**
 * The caller gave up before Kiwoom answered: the invocation's time ran out,
 * or the run stopped. Not a failure of the code; the scan leaves it for the
 * next invocation.
 */
export class CallAbortedError extends KiwoomError {
  override readonly name = 'CallAbortedError';
  readonly kind = 'aborted';
  constructor(details: KiwoomErrorDetails = {}) {
    super('call abandoned: time ran out or the run stopped', details);
  }
}

function describe(summary: string, d: KiwoomErrorDetails): string {
  const where = [d.apiId ?? 'Kiwoom', d.stkCd ? `for ${d.stkCd}` : null].filter(Boolean).join(' ');
  const codes = [
    d.httpStatus != null ? `HTTP ${d.httpStatus}` : null,
    d.category != null ? `return_code ${d.category}` : null,
    d.detailCode != null ? `detail ${d.detailCode}` : null,
  ].filter(Boolean);
  const tail = d.returnMsg ? `: ${d.returnMsg}` : '';
  return `${where}: ${summary}${codes.length ? ` (${codes.join(', ')})` : ''}${tail}`;
}

// ── classification ───────────────────────────────────────────────────────────

type DetailClass = 'rate_limited' | 'token_invalid' | 'bad_credentials' | 'mode_mismatch' | 'ip_not_allowed' | 'unknown_stock' | 'bad_input';

const DETAIL_CLASSES: ReadonlyMap<number, DetailClass> = new Map<number, DetailClass>([
  ...[1700, 1701, 1702].map((c) => [c, 'rate_limited'] as const),
  ...[8003, 8005, 8006, 8009, 8015, 8016].map((c) => [c, 'token_invalid'] as const),
  ...[8001, 8002, 8011, 8012].map((c) => [c, 'bad_credentials'] as const),
  ...[8030, 8031].map((c) => [c, 'mode_mismatch'] as const),
  ...[8010, 8040, 8050, 8103].map((c) => [c, 'ip_not_allowed'] as const),
  ...[1901, 1902].map((c) => [c, 'unknown_stock'] as const),
  ...[1501, 1504, 1505, 1511, 1512, 1513, 1514, 1515, 1516, 1517, 1634, 1687, 8020].map(
    (c) => [c, 'bad_input'] as const,
  ),
]);

/** The detail codes this module knows, by what the caller does next. */
export function detailClassOf(code: number): DetailClass | undefined {
  return DETAIL_CLASSES.get(code);
}

// `[8005:…]`, `[1700:…]`, `[2000](RC9000…)`: the first bracketed number.
const BRACKETED_CODE = /\[\s*(\d{3,5})\s*(?=[:\]])/;
const ALLOWANCE = /유량\s*=\s*(\d+(?:\.\d+)?)/;

/** The detail code Kiwoom put in brackets inside `return_msg`, if any. */
export function bracketedDetailCode(returnMsg: string): number | null {
  const m = BRACKETED_CODE.exec(returnMsg);
  return m?.[1] === undefined ? null : Number(m[1]);
}

/** The allowance a 1700 message states (`유량=N`), requests per second. */
export function statedAllowance(returnMsg: string): number | null {
  const m = ALLOWANCE.exec(returnMsg);
  if (m?.[1] === undefined) return null;
  const n = Number(m[1]);
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** `return_code` as a number: Kiwoom sends `3` or `"3"`. */
export function returnCodeOf(body: unknown): number | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const raw = (body as Record<string, unknown>)['return_code'];
  if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
  if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) return Number(raw);
  return null;
}

export interface KiwoomAnswer {
  httpStatus: number;
  /** The parsed JSON body, or undefined when the body was not JSON. */
  body: unknown;
  apiId: string;
  stkCd?: string | null;
  /** Values to blank out of any message text (tokens, keys), however unlikely. */
  redact?: readonly string[];
}

/**
 * The error an answer stands for, or null when it is a success (HTTP 2xx and
 * `return_code` 0). Classified by the bracketed detail code, then by a
 * top-level code that is itself a detail code, then by the HTTP status.
 */
export function classifyAnswer(answer: KiwoomAnswer): KiwoomError | null {
  const { httpStatus, body, apiId } = answer;
  const stkCd = answer.stkCd ?? null;
  const base = { httpStatus, apiId, stkCd };
  if (httpStatus >= 500) {
    return new TransientError('server error', { ...base, ...bodyFacts(body, answer.redact) });
  }
  const category = returnCodeOf(body);
  if (category === null) {
    if (httpStatus === 429) return new RateLimitedError(base);
    if (httpStatus === 401) return new TokenInvalidError(base);
    const summary = body === undefined ? 'answer is not JSON' : 'answer has no return_code';
    return new TransientError(summary, base);
  }
  const facts = bodyFacts(body, answer.redact);
  const ok = httpStatus >= 200 && httpStatus < 300;
  if (category === 0 && ok) return null;
  const details = { ...base, ...facts };
  const detail = facts.detailCode;
  const kind = detail === null ? undefined : detailClassOf(detail);
  if (kind !== undefined) return errorOfClass(kind, details);
  if (httpStatus === 429) return new RateLimitedError(details);
  if (httpStatus === 401) return new TokenInvalidError(details);
  if (!ok) return new TransientError('unexpected HTTP status', details);
  return new BadInputError(details);
}

function bodyFacts(
  body: unknown,
  redactValues: readonly string[] = [],
): { category: number | null; detailCode: number | null; returnMsg: string | null; allowance: number | null } {
  const category = returnCodeOf(body);
  const rawMsg =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['return_msg'] : undefined;
  const returnMsg = typeof rawMsg === 'string' ? redact(rawMsg, redactValues) : null;
  const bracketed = returnMsg === null ? null : bracketedDetailCode(returnMsg);
  // Categories are small (1, 2, 3, 5, 7, 20); detail codes have four digits.
  const detailCode = bracketed ?? (category !== null && category >= 1000 ? category : null);
  const allowance = returnMsg === null ? null : statedAllowance(returnMsg);
  return { category, detailCode, returnMsg, allowance };
}

function errorOfClass(
  kind: DetailClass,
  details: KiwoomErrorDetails & { allowance: number | null },
): KiwoomError {
  switch (kind) {
    case 'rate_limited':
      return new RateLimitedError(details);
    case 'token_invalid':
      return new TokenInvalidError(details);
    case 'bad_credentials':
      return new BadCredentialsError(details);
    case 'mode_mismatch':
      return new ModeMismatchError(details);
    case 'ip_not_allowed':
      return new IpNotAllowedError(details);
    case 'unknown_stock':
      return new UnknownStockError(details);
    case 'bad_input':
      return new BadInputError(details);
  }
}

/** Replaces every occurrence of each secret with `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

/**
 * A copy of a low-level error (fetch, socket, abort) that keeps only its name,
 * message and code. undici's errors can hold the request (headers with the
 * bearer token, the body with the secret key) somewhere down their `cause`
 * chain; a KiwoomError must never carry that along.
 */
export function safeCause(error: unknown, redactValues: readonly string[] = []): Error {
  const chain: string[] = [];
  let code: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof Error) {
      chain.push(`${current.name}: ${current.message}`);
      const c = (current as { code?: unknown }).code;
      if (code === undefined && typeof c === 'string') code = c;
      current = (current as { cause?: unknown }).cause;
    } else {
      chain.push(String(current));
      break;
    }
  }
  const copy = new Error(redact(chain.join(' ← '), redactValues));
  copy.name = error instanceof Error ? error.name : 'Error';
  if (code !== undefined) (copy as Error & { code?: string }).code = code;
  // The stack of the copy points here, not into undici with its arguments.
  return copy;
}
