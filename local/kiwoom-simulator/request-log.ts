// What the simulator remembers of each request, for tests to assert on. The
// token, app key and secret key never enter it: tests print these records,
// and a secret in a test log is a secret in CI output.
import type { IncomingHttpHeaders } from 'node:http';
import type { FaultKind } from './faults.ts';

export const REDACTED = '<redacted>';

/** Body fields that carry credentials in au10001/au10002 calls. */
const SECRET_FIELDS = new Set(['appkey', 'secretkey', 'token']);

export interface RequestOutcome {
  /** null: the connection was dropped without an answer (timeout fault, or closed while held). */
  httpStatus: number | null;
  returnCode?: number | string;
  /** The bracketed detail code of a Kiwoom error (`'1700'`, `'8005'`). */
  detailCode?: string;
  /** The injected fault that decided the answer, if any. */
  fault?: FaultKind;
  rows?: number;
  contYn?: 'Y' | 'N';
}

export interface RecordedRequest {
  /** 1-based arrival order. */
  seq: number;
  /** Monotonic arrival time in ms (the clock the rate window uses). */
  timeMs: number;
  /** Wall-clock arrival (the injected `now`). */
  receivedAt: Date;
  method: string;
  path: string;
  /** The API id the simulator attributed the request to (`au10001` for token calls). */
  apiId: string;
  /** Lower-case header names; `authorization` as `<scheme> <redacted>`. */
  headers: Record<string, string>;
  /** Parsed JSON body with credential fields redacted; null when absent or not JSON. */
  body: unknown;
  /** null until answered (or dropped). */
  outcome: RequestOutcome | null;
}

export function redactHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    out[name] = name === 'authorization' ? redactAuthorization(text) : text;
  }
  return out;
}

function redactAuthorization(value: string): string {
  const scheme = value.trim().split(/\s+/, 1)[0] ?? '';
  return /^bearer$/i.test(scheme) ? `${scheme} ${REDACTED}` : REDACTED;
}

export function redactBody(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(body)) {
    out[field] = SECRET_FIELDS.has(field.toLowerCase()) && value !== undefined ? REDACTED : value;
  }
  return out;
}

export interface SimulatorStats {
  total: number;
  byApiId: Record<string, number>;
  /** Answers carrying 1700, from the window or an injected burst. */
  rateLimited: number;
}

export class RequestLog {
  readonly requests: RecordedRequest[] = [];
  private seq = 0;
  private counters: SimulatorStats = { total: 0, byApiId: {}, rateLimited: 0 };

  add(entry: Omit<RecordedRequest, 'seq' | 'outcome'>): RecordedRequest {
    this.seq += 1;
    const record: RecordedRequest = { seq: this.seq, ...entry, outcome: null };
    this.requests.push(record);
    this.counters.total += 1;
    this.counters.byApiId[entry.apiId] = (this.counters.byApiId[entry.apiId] ?? 0) + 1;
    return record;
  }

  settle(record: RecordedRequest, outcome: RequestOutcome): void {
    if (record.outcome !== null) return;
    record.outcome = outcome;
    if (outcome.detailCode === '1700') this.counters.rateLimited += 1;
  }

  /** Empties the log and resets the counters. */
  clear(): void {
    this.requests.length = 0;
    this.counters = { total: 0, byApiId: {}, rateLimited: 0 };
  }

  stats(): SimulatorStats {
    return { total: this.counters.total, byApiId: { ...this.counters.byApiId }, rateLimited: this.counters.rateLimited };
  }
}

/** The most arrivals in any rolling second, from arrival times in ms (ascending, e.g. `timeMs`). */
export function busiestSecond(times: number[]): number {
  let most = 0;
  for (let i = 0, j = 0; j < times.length; j += 1) {
    while (times[j]! - times[i]! >= 1000) i += 1;
    most = Math.max(most, j - i + 1);
  }
  return most;
}
