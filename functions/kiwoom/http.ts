// The one place that talks HTTP to Kiwoom: Node's fetch (undici, keep-alive
// by default) with a timeout per request. Every failure below HTTP becomes a
// TransientError whose cause is a sanitised copy, because undici's errors can
// keep the request (bearer token, secret key) reachable from their `cause`.
import { TransientError, safeCause } from './errors.ts';

export const KIWOOM_CONTENT_TYPE = 'application/json;charset=UTF-8';
export const DEFAULT_TIMEOUT_MS = 10_000;

/** How to reach Kiwoom; shared by the client and `issueToken`. */
export interface KiwoomHttpOptions {
  /** `https://api.kiwoom.com`, `https://mockapi.kiwoom.com`, or a simulator on loopback. */
  baseUrl: string;
  timeoutMs?: number;
  /** Tests may swap the transport; defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
}

export interface KiwoomRequest {
  path: string;
  apiId: string;
  headers: Record<string, string>;
  body: Record<string, unknown>;
  /** For error messages only. */
  stkCd?: string | null;
  /** Values that must not survive into an error (token, keys). */
  secrets: readonly string[];
}

export interface RawAnswer {
  httpStatus: number;
  /** Case-insensitive, as fetch's Headers are. */
  headers: Headers;
  /** Parsed JSON, or undefined when the body is not JSON. */
  body: unknown;
}

export class KiwoomHttp {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: KiwoomHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async post(request: KiwoomRequest): Promise<RawAnswer> {
    const where = { apiId: request.apiId, stkCd: request.stkCd ?? null };
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.baseUrl}${request.path}`, {
        method: 'POST',
        headers: { 'content-type': KIWOOM_CONTENT_TYPE, 'api-id': request.apiId, ...request.headers },
        body: JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new TransientError(timedOut ? `no answer within ${this.timeoutMs} ms` : 'network error', {
        ...where,
        cause: safeCause(error, request.secrets),
      });
    }
    return { httpStatus: response.status, headers: response.headers, body: parseJson(text) };
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
