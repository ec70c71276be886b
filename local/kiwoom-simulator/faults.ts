// Faults the simulator injects on demand, so the client and the scan can be
// tested against every way Kiwoom (or the network in front of it) has been
// seen to misbehave: 5xx, hung requests, bodies that are not Kiwoom JSON,
// bursts of 1700, spurious 8005, arbitrary error forms.

/**
 * Which requests a fault applies to, and for how long.
 * - `apiId`: the API id the request is for (`ka10008`, `au10001` for token
 *   calls, `au10002` for revoke). Defaults to `ka10008`, so a fault meant for
 *   the data call does not break token issuance by accident; `'*'` matches
 *   every API.
 * - `stkCd`: only requests whose body names this code (never matches token calls).
 * - `count`: answer this many matching requests, then the fault is used up.
 *   Omitted: persistent until `clearFaults()`.
 */
export interface FaultScope {
  apiId?: string;
  stkCd?: string;
  count?: number;
}

/** Non-Kiwoom bodies seen (or plausible) from a gateway or a broken backend. */
export type GarbageForm = 'html' | 'text' | 'noReturnCode' | 'truncated' | 'empty';

/**
 * The charset an answer's body is sent in (and named in its content-type).
 * Some Kiwoom error pages have come in EUC-KR.
 */
export type BodyCharset = 'utf-8' | 'euc-kr';

export type Fault =
  /** HTTP 500 with a non-Kiwoom body. */
  | ({ kind: 'http500'; body?: string; charset?: BodyCharset } & FaultScope)
  /**
   * Hold the request without answering for `holdMs` (omitted: until the client
   * gives up or the simulator closes), then drop the connection (`'drop'`,
   * default) or answer it normally (`'answer'`, a very slow response).
   */
  | ({ kind: 'timeout'; holdMs?: number; afterHold?: 'drop' | 'answer' } & FaultScope)
  /** A body that is not a Kiwoom answer; `body` overrides `form`. */
  | ({ kind: 'garbage'; form?: GarbageForm; body?: string; httpStatus?: number; charset?: BodyCharset } & FaultScope)
  /**
   * 1700 regardless of the rolling window. HTTP 429 by default; some clients
   * have seen the same body with HTTP 200.
   */
  | ({ kind: 'rateLimit'; httpStatus?: 429 | 200 } & FaultScope)
  /** Extra latency for matching requests, on top of the global latency; the request is then answered normally. */
  | ({ kind: 'latency'; ms: number } & FaultScope)
  /**
   * Network jitter on the way in: each matching request reaches Kiwoom's
   * counter after a delay drawn uniformly from [0, 2 × ms] (ms ± ms), as a
   * new TLS connection or a busy path does. The rolling window counts the
   * request at that later arrival; it is then answered normally.
   */
  | ({ kind: 'jitter'; ms: number } & FaultScope)
  /** The live 8005 form although the token is valid (the token stays valid). */
  | ({ kind: 'tokenRejected' } & FaultScope)
  /** Any Kiwoom answer, e.g. a string `return_code` or a detail code the simulator never produces itself. */
  | ({
      kind: 'kiwoomError';
      returnCode: number | string;
      returnMsg: string;
      httpStatus?: number;
      charset?: BodyCharset;
      /** Extra top-level fields, e.g. `stk_frgnr`. */
      extra?: Record<string, unknown>;
    } & FaultScope);

export type FaultKind = Fault['kind'];

/** Faults that decide the answer (latency and jitter only delay it). */
export type AnsweringFault = Exclude<Fault, { kind: 'latency' | 'jitter' }>;

export const FAULT_KINDS: readonly FaultKind[] = [
  'http500',
  'timeout',
  'garbage',
  'rateLimit',
  'latency',
  'jitter',
  'tokenRejected',
  'kiwoomError',
];

export class InvalidFaultError extends Error {
  override readonly name = 'InvalidFaultError';
}

/** What a request carries that a fault can be scoped by. */
export interface FaultTarget {
  apiId: string;
  stkCd: string | undefined;
}

interface ArmedFault {
  fault: Fault;
  remaining: number;
}

/**
 * The injected faults, in injection order. A request takes at most one
 * answering fault (the first that matches), at most one latency fault and
 * at most one jitter fault, each consuming one of its count.
 */
export class FaultBook {
  private armed: ArmedFault[] = [];

  inject(fault: Fault): void {
    validateFault(fault);
    this.armed.push({ fault: { ...fault }, remaining: fault.count ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.armed = [];
  }

  /** The first matching fault that decides the answer (everything but latency and jitter). */
  takeAnswering(target: FaultTarget): AnsweringFault | undefined {
    const taken = this.take(target, (f) => f.kind !== 'latency' && f.kind !== 'jitter');
    return taken as AnsweringFault | undefined;
  }

  takeJitter(target: FaultTarget): Extract<Fault, { kind: 'jitter' }> | undefined {
    const taken = this.take(target, (f) => f.kind === 'jitter');
    return taken as Extract<Fault, { kind: 'jitter' }> | undefined;
  }

  takeLatency(target: FaultTarget): Extract<Fault, { kind: 'latency' }> | undefined {
    const taken = this.take(target, (f) => f.kind === 'latency');
    return taken as Extract<Fault, { kind: 'latency' }> | undefined;
  }

  get size(): number {
    return this.armed.length;
  }

  private take(target: FaultTarget, wanted: (fault: Fault) => boolean): Fault | undefined {
    const index = this.armed.findIndex((a) => wanted(a.fault) && matches(a.fault, target));
    if (index < 0) return undefined;
    const armed = this.armed[index]!;
    armed.remaining -= 1;
    if (armed.remaining <= 0) this.armed.splice(index, 1);
    return armed.fault;
  }
}

function matches(fault: Fault, target: FaultTarget): boolean {
  const apiId = fault.apiId ?? 'ka10008';
  if (apiId !== '*' && apiId !== target.apiId) return false;
  if (fault.stkCd !== undefined && fault.stkCd !== target.stkCd) return false;
  return true;
}

function validateFault(fault: Fault): void {
  if (typeof fault !== 'object' || fault === null || !FAULT_KINDS.includes(fault.kind)) {
    throw new InvalidFaultError(`unknown fault kind: ${JSON.stringify((fault as { kind?: unknown } | null)?.kind)}`);
  }
  if (fault.count !== undefined && !(Number.isInteger(fault.count) && fault.count > 0)) {
    throw new InvalidFaultError(`fault count must be a positive integer, got ${fault.count}`);
  }
  if ((fault.kind === 'latency' || fault.kind === 'jitter') && !(Number.isFinite(fault.ms) && fault.ms >= 0)) {
    throw new InvalidFaultError(`${fault.kind} fault needs ms >= 0, got ${fault.ms}`);
  }
  const charset = (fault as { charset?: unknown }).charset;
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'euc-kr') {
    throw new InvalidFaultError(`charset must be "utf-8" or "euc-kr", got ${JSON.stringify(charset)}`);
  }
  if (fault.kind === 'timeout' && fault.holdMs !== undefined && !(Number.isFinite(fault.holdMs) && fault.holdMs >= 0)) {
    throw new InvalidFaultError(`timeout fault needs holdMs >= 0, got ${fault.holdMs}`);
  }
  if (fault.kind === 'kiwoomError' && typeof fault.returnMsg !== 'string') {
    throw new InvalidFaultError('kiwoomError fault needs returnMsg');
  }
}

/** The body of a garbage answer, with the content type a gateway would send. */
export function garbageBody(form: GarbageForm): { contentType: string; body: string } {
  switch (form) {
    case 'html':
      return {
        contentType: 'text/html; charset=UTF-8',
        body: '<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>',
      };
    case 'text':
      return { contentType: 'text/plain; charset=UTF-8', body: 'upstream connect error or disconnect/reset before headers' };
    case 'noReturnCode':
      return { contentType: 'application/json;charset=UTF-8', body: JSON.stringify({ stk_frgnr: [] }) };
    case 'truncated':
      return {
        contentType: 'application/json;charset=UTF-8',
        body: '{"stk_frgnr":[{"dt":"20241105","close_pric":"135300","pred_pre":"0","trde_qty":"0","chg_qty":"0","poss_stk',
      };
    case 'empty':
      return { contentType: 'application/json;charset=UTF-8', body: '' };
  }
}
