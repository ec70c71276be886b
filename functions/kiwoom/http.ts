// The one place that talks HTTP to Kiwoom: Node's fetch (undici, keep-alive
// by default) with a timeout per request and the caller's abort signal.
// Every failure below HTTP becomes a TransientError whose cause is a
// sanitised copy, because undici's errors can keep the request (bearer token,
// secret key) reachable from their `cause`; an abort by the caller becomes a
// CallAbortedError. Bodies are decoded in the charset their content-type
// names (some Kiwoom error pages come in EUC-KR) and capped in size.
import { CallAbortedError, TransientError, safeCause } from './errors.ts';

export const KIWOOM_CONTENT_TYPE = 'application/json;charset=UTF-8';
export const DEFAULT_TIMEOUT_MS = 10_000;
/** A ka10008 page of 50 rows is about 12 KB; anything near this is not a Kiwoom answer. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** How to reach Kiwoom; shared by the client and `issueToken`. */
export interface KiwoomHttpOptions {
  /** `https://api.kiwoom.com`, `https://mockapi.kiwoom.com`, or a simulator on loopback. */
  baseUrl: string;
  timeoutMs?: number;
  /** Larger bodies are not read to the end and count as transient. */
  maxBodyBytes?: number;
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
  /** The caller's deadline (or a stopped run): abandons the request at once. */
  signal?: AbortSignal;
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
  readonly maxBodyBytes: number;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: KiwoomHttpOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  async post(request: KiwoomRequest): Promise<RawAnswer> {
    const where = { apiId: request.apiId, stkCd: request.stkCd ?? null };
    if (request.signal?.aborted) throw new CallAbortedError(where);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = request.signal === undefined ? timeout : AbortSignal.any([timeout, request.signal]);
    let response: Response;
    let bytes: Uint8Array | 'too large';
    try {
      response = await this.#fetch(`${this.baseUrl}${request.path}`, {
        method: 'POST',
        headers: { 'content-type': KIWOOM_CONTENT_TYPE, 'api-id': request.apiId, ...request.headers },
        body: JSON.stringify(request.body),
        signal,
      });
      bytes = await readCapped(response, this.maxBodyBytes);
    } catch (error) {
      if (request.signal?.aborted) throw new CallAbortedError(where);
      const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
      throw new TransientError(timedOut ? `no answer within ${this.timeoutMs} ms` : 'network error', {
        ...where,
        cause: safeCause(error, request.secrets),
      });
    }
    if (bytes === 'too large') {
      throw new TransientError(`answer larger than ${formatBytes(this.maxBodyBytes)}; not read`, {
        ...where,
        httpStatus: response.status,
      });
    }
    const text = decode(bytes, response.headers.get('content-type'));
    return { httpStatus: response.status, headers: response.headers, body: parseJson(text) };
  }
}

/** The body's bytes, or 'too large' as soon as they pass `maxBytes` (the rest is not read). */
async function readCapped(response: Response, maxBytes: number): Promise<Uint8Array | 'too large'> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    return 'too large';
  }
  if (response.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return 'too large';
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** Text in the charset the content-type names; UTF-8 when it names none or one Node does not know. */
export function decode(bytes: Uint8Array, contentType: string | null): string {
  const label = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  if (label !== undefined) {
    try {
      return new TextDecoder(label).decode(bytes);
    } catch {
      // An unknown label (RangeError): fall through to UTF-8.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}

function formatBytes(n: number): string {
  return n % (1024 * 1024) === 0 ? `${n / (1024 * 1024)} MiB` : `${n} bytes`;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
