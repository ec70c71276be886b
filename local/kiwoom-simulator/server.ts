// A Kiwoom REST simulator on loopback, speaking the live service's forms
// (shared/kiwoom/README.md): au10001/au10002 tokens, ka10008 with
// continuation, the per-app-key-and-API-id allowance answered with 429 and
// [1700 … 유량=N], errors as a category plus a bracketed detail code, and
// faults on demand. Tests, the benchmark and `npm start` run against it.
//
// Decisions where the live service's behaviour is unknown (see README.md here):
// - Only accepted requests count in the rolling window (`countRejected`
//   false), the lenient reading; set it to count 1700 answers as well.
// - The window is measured at arrival (before any latency) per app key and
//   API id. ka10008 calls are attributed to an app key through their token,
//   so the token is checked first and an 8005 answer never touches the window.
// - Injected faults (other than latency) answer before the window, the
//   token check and everything else, and are never counted in the window.
// - All Kiwoom answers are HTTP 200 except 1700 (429); no report shows
//   anything else from Kiwoom.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RawRow } from '../../functions/domain/types.ts';
import { answers, kiwoomJson, OK_MSG, type Answer } from './answers.ts';
import { FaultBook, garbageBody, type Fault } from './faults.ts';
import { RollingWindow } from './rate-window.ts';
import { redactBody, redactHeaders, RequestLog, type RecordedRequest, type RequestOutcome } from './request-log.ts';
import { TokenBook } from './token-book.ts';

export type { Fault, FaultKind, FaultScope, GarbageForm } from './faults.ts';
export type { RecordedRequest, RequestOutcome, SimulatorStats } from './request-log.ts';
export type { RawRow };

export interface SimulatorApp {
  appKey: string;
  secretKey: string;
}

export interface SimulatorOptions {
  /** Default 0 (a free port). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  apps?: SimulatorApp[];
  /** Requests per rolling second, per API id (default 5 for every API id). */
  allowance?: Partial<Record<string, number>>;
  /** Whether requests answered 1700 by the window count in it too (default false). */
  countRejected?: boolean;
  /** ka10008 rows per page (default 50, as measured on the live service). */
  pageSize?: number;
  /** Token lifetime (default 24 h). */
  tokenTtlMs?: number;
  /** Whether issuing a token invalidates the app key's earlier tokens (default true, the worst case reported). */
  invalidatePreviousToken?: boolean;
  /** `token_type` in au10001 answers (default 'bearer'; the live service has sent both). */
  tokenType?: string;
  /** Added before every answer (default 0). */
  latencyMs?: number;
  /** stk_cd → rows newest first (default: no codes). */
  data?: Record<string, RawRow[]>;
  /** Wall clock for token expiry (default `new Date()`). */
  now?: () => Date;
  /** Monotonic ms for the rate window (default `performance.now()`); inject to test the window without sleeping. */
  monotonicNow?: () => number;
}

export interface KiwoomSimulator {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  /** Closes the server and every socket (keep-alive and held ones); resolves promptly. */
  close(): Promise<void>;
  /** Replaces a code's history (rows newest first). */
  setRows(stkCd: string, rows: RawRow[]): void;
  rows(stkCd: string): RawRow[] | undefined;
  /** Kiwoom revising a day after first serving it: the next fetch serves the patched row. */
  reviseDay(stkCd: string, dt: string, patch: Partial<RawRow>): void;
  setAllowance(apiId: string, perSecond: number): void;
  setLatency(ms: number): void;
  inject(fault: Fault): void;
  clearFaults(): void;
  /** Token expiry mid-run: every token issued so far is invalid from now on. */
  expireTokens(): void;
  /** How many tokens au10001 has issued. */
  issuedTokens(): number;
  /** Every request received, in arrival order (admin calls under /__sim/ excluded). */
  requests: RecordedRequest[];
  /** Empties `requests` and resets `stats()`. */
  clearRequests(): void;
  stats(): { total: number; byApiId: Record<string, number>; rateLimited: number };
}

export class SimulatorUsageError extends Error {
  override readonly name = 'SimulatorUsageError';
}

const DEFAULT_APPS: SimulatorApp[] = [{ appKey: 'sim-appkey', secretKey: 'sim-secretkey' }];
const DEFAULT_ALLOWANCE = 5;
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_BODY_BYTES = 1 << 20;

const PATHS = {
  token: '/oauth2/token',
  revoke: '/oauth2/revoke',
  frgnistt: '/api/dostk/frgnistt',
} as const;

/** What the handlers need to know about one request. */
interface Incoming {
  path: string;
  apiId: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  stkCd: string | undefined;
  arrivedAtMs: number;
}

export async function startKiwoomSimulator(options: SimulatorOptions = {}): Promise<KiwoomSimulator> {
  const now = options.now ?? (() => new Date());
  const monotonicNow = options.monotonicNow ?? (() => performance.now());
  const apps = new Map((options.apps ?? DEFAULT_APPS).map((app) => [app.appKey, app.secretKey]));
  const allowance = new Map<string, number>(
    Object.entries(options.allowance ?? {}).filter((e): e is [string, number] => e[1] !== undefined),
  );
  const countRejected = options.countRejected ?? false;
  const pageSize = options.pageSize ?? 50;
  if (!(Number.isInteger(pageSize) && pageSize > 0)) throw new SimulatorUsageError(`pageSize must be a positive integer, got ${pageSize}`);
  const tokenType = options.tokenType ?? 'bearer';
  let latencyMs = options.latencyMs ?? 0;

  const tokens = new TokenBook(now, options.tokenTtlMs ?? DAY_MS, options.invalidatePreviousToken ?? true);
  const window = new RollingWindow();
  const faults = new FaultBook();
  const log = new RequestLog();
  const dataset = new Map<string, RawRow[]>();
  for (const [stkCd, rows] of Object.entries(options.data ?? {})) dataset.set(stkCd, rows.map((r) => ({ ...r })));

  const allowanceOf = (apiId: string) => allowance.get(apiId) ?? DEFAULT_ALLOWANCE;

  // Held requests and pending delays, so close() can end them at once.
  const timers = new Set<NodeJS.Timeout>();
  const sockets = new Set<Socket>();
  let closed = false;

  function delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });
  }

  function issueToken(req: Incoming): Answer {
    const rateLimited = admit('', req);
    if (rateLimited) return rateLimited;
    const body = asRecord(req.body);
    if (body === undefined) return answers.badInput('body', 'JSON 형식이 아닙니다');
    if (body['grant_type'] === undefined || body['grant_type'] === '') return answers.missingGrantType();
    if (body['grant_type'] !== 'client_credentials') return answers.wrongGrantType();
    const checked = checkCredentials(body);
    if (typeof checked !== 'string') return checked;
    const issued = tokens.issue(checked);
    return answers.ok({ expires_dt: issued.expiresDt, token_type: tokenType, token: issued.token });
  }

  function revokeToken(req: Incoming): Answer {
    const rateLimited = admit('', req);
    if (rateLimited) return rateLimited;
    const body = asRecord(req.body);
    if (body === undefined) return answers.badInput('body', 'JSON 형식이 아닙니다');
    const checked = checkCredentials(body);
    if (typeof checked !== 'string') return checked;
    const token = body['token'];
    if (typeof token !== 'string' || token === '') return answers.missingRevokeToken();
    if (!tokens.revoke(checked, token)) return answers.tokenInvalid();
    return answers.ok();
  }

  /** The app key when the body's app key and secret key match a configured app; else the error answer. */
  function checkCredentials(body: Record<string, unknown>): string | Answer {
    const appKey = body['appkey'];
    const secretKey = body['secretkey'];
    if (typeof appKey !== 'string' || appKey === '' || typeof secretKey !== 'string' || secretKey === '') {
      return answers.missingAppCredentials();
    }
    const expected = apps.get(appKey);
    if (expected === undefined) return answers.unknownAppKey();
    if (expected !== secretKey) return answers.wrongSecretKey();
    return appKey;
  }

  /**
   * The window check for token calls (keyed by the app key in the body, known
   * or not, as the quota sits in front of the credential check) and for data
   * calls (keyed by the token's app key). Undefined when admitted.
   */
  function admit(appKeyOfToken: string, req: Incoming): Answer | undefined {
    const appKey = appKeyOfToken !== '' ? appKeyOfToken : String(asRecord(req.body)?.['appkey'] ?? '');
    const limit = allowanceOf(req.apiId);
    if (window.admit(appKey, req.apiId, req.arrivedAtMs, limit, countRejected)) return undefined;
    return answers.rateLimited(req.apiId, limit);
  }

  function foreignHoldings(req: Incoming): Answer {
    const apiHeaders = { 'api-id': req.apiId };
    const headerApiId = headerText(req.headers['api-id']);
    if (headerApiId === undefined || headerApiId === '') return answers.missingApiId();
    if (headerApiId !== 'ka10008') return answers.wrongUri(apiHeaders);

    const authorization = headerText(req.headers['authorization']);
    if (authorization === undefined || authorization.trim() === '') return answers.missingAuthorization(apiHeaders);
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) return answers.malformedAuthorization(apiHeaders);
    const appKey = tokens.appKeyOf(match[1]!);
    if (appKey === undefined) return answers.tokenInvalid(apiHeaders);

    const rateLimited = admit(appKey, req);
    if (rateLimited) return rateLimited;

    const body = asRecord(req.body);
    if (body === undefined) return answers.badInput('body', 'JSON 형식이 아닙니다', apiHeaders);
    const stkCd = body['stk_cd'];
    if (typeof stkCd !== 'string' || stkCd.trim() === '') return answers.missingInput('stk_cd', apiHeaders);
    const rows = dataset.get(stkCd);
    if (rows === undefined) return answers.unknownStock(apiHeaders);

    let offset = 0;
    if (headerText(req.headers['cont-yn'])?.toUpperCase() === 'Y') {
      const found = offsetOfNextKey(stkCd, rows, headerText(req.headers['next-key']) ?? '');
      if (found === undefined) return answers.badInput('next-key', '연속조회키가 올바르지 않습니다', apiHeaders);
      offset = found;
    }
    const page = rows.slice(offset, offset + pageSize);
    const next = rows[offset + pageSize];
    const contYn = next === undefined ? 'N' : 'Y';
    const answer = kiwoomJson(
      { stk_frgnr: page, return_code: 0, return_msg: OK_MSG },
      { headers: { ...apiHeaders, 'cont-yn': contYn, 'next-key': next === undefined ? '' : nextKeyFor(stkCd, next.dt) } },
    );
    return { ...answer, rows: page.length, contYn };
  }

  function route(req: Incoming): Answer {
    switch (req.path) {
      case PATHS.token:
        return issueToken(req);
      case PATHS.revoke:
        return revokeToken(req);
      case PATHS.frgnistt:
        return foreignHoldings(req);
      default:
        return answers.wrongUri();
    }
  }

  /** The answer an injected fault gives; 'drop' ends the connection unanswered; undefined: answer normally. */
  async function faultAnswer(fault: Exclude<Fault, { kind: 'latency' }>, req: Incoming, res: ServerResponse): Promise<Answer | 'drop' | undefined> {
    switch (fault.kind) {
      case 'http500':
        return {
          httpStatus: 500,
          headers: { 'content-type': 'text/plain; charset=UTF-8' },
          body: fault.body ?? 'Internal Server Error',
        };
      case 'garbage': {
        const garbage = garbageBody(fault.form ?? 'html');
        return {
          httpStatus: fault.httpStatus ?? 200,
          headers: { 'content-type': fault.body === undefined ? garbage.contentType : 'text/plain; charset=UTF-8' },
          body: fault.body ?? garbage.body,
        };
      }
      case 'rateLimit':
        return answers.rateLimited(req.apiId, allowanceOf(req.apiId), fault.httpStatus ?? 429);
      case 'tokenRejected':
        return answers.tokenInvalid({ 'api-id': req.apiId });
      case 'kiwoomError':
        return kiwoomJson(
          { return_code: fault.returnCode, return_msg: fault.returnMsg },
          { httpStatus: fault.httpStatus ?? 200, headers: { 'api-id': req.apiId }, ...detailOf(fault.returnMsg) },
        );
      case 'timeout': {
        const gaveUp = new Promise<void>((resolve) => res.once('close', resolve));
        await (fault.holdMs === undefined ? gaveUp : Promise.race([delay(fault.holdMs), gaveUp]));
        return fault.afterHold === 'answer' && !res.destroyed ? undefined : 'drop';
      }
    }
  }

  async function handle(request: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrivedAtMs = monotonicNow();
    const receivedAt = now();
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    const rawBody = await readBody(request);
    if (path.startsWith('/__sim/')) return admin(path, request.method ?? 'GET', rawBody, res);

    const body = parseJson(rawBody);
    const apiId = apiIdFor(path, request.headers);
    const bodyStkCd = asRecord(body)?.['stk_cd'];
    const stkCd = typeof bodyStkCd === 'string' ? bodyStkCd : undefined;
    const req: Incoming = { path, apiId, headers: request.headers, body, stkCd, arrivedAtMs };
    const record = log.add({
      timeMs: arrivedAtMs,
      receivedAt,
      method: request.method ?? 'GET',
      path,
      apiId,
      headers: redactHeaders(request.headers),
      body: body === undefined ? null : redactBody(body),
    });

    const target = { apiId, stkCd };
    const answering = faults.takeAnswering(target);
    const extraLatency = faults.takeLatency(target)?.ms ?? 0;
    const fromFault = answering === undefined ? undefined : await faultAnswer(answering, req, res);
    const answer = fromFault ?? route(req);
    const faultKind = answering === undefined ? {} : { fault: answering.kind };

    if (answer === 'drop') {
      log.settle(record, { httpStatus: null, ...faultKind });
      res.destroy();
      return;
    }
    await delay(latencyMs + extraLatency);
    if (closed || res.destroyed) {
      log.settle(record, { httpStatus: null, ...faultKind });
      return;
    }
    log.settle(record, outcomeOf(answer, faultKind));
    res.writeHead(answer.httpStatus, answer.headers);
    res.end(answer.body);
  }

  function admin(path: string, method: string, rawBody: string, res: ServerResponse): void {
    const reply = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json;charset=UTF-8' });
      res.end(JSON.stringify(payload));
    };
    const body = asRecord(parseJson(rawBody)) ?? {};
    try {
      if (path === '/__sim/faults' && method === 'POST') simulator.inject(body as unknown as Fault);
      else if (path === '/__sim/faults' && method === 'DELETE') simulator.clearFaults();
      else if (path === '/__sim/expire-tokens' && method === 'POST') simulator.expireTokens();
      else if (path === '/__sim/latency' && method === 'POST') simulator.setLatency(Number(body['ms']));
      else if (path === '/__sim/allowance' && method === 'POST') simulator.setAllowance(String(body['apiId']), Number(body['perSecond']));
      else if (path === '/__sim/revise' && method === 'POST') {
        simulator.reviseDay(String(body['stkCd']), String(body['dt']), (asRecord(body['patch']) ?? {}) as Partial<RawRow>);
      } else if (path === '/__sim/requests' && method === 'GET') return reply(200, simulator.requests);
      else if (path === '/__sim/requests' && method === 'DELETE') simulator.clearRequests();
      else if (path === '/__sim/stats' && method === 'GET') return reply(200, { ...simulator.stats(), issuedTokens: simulator.issuedTokens() });
      else return reply(404, { error: `no admin route ${method} ${path}` });
      reply(200, { ok: true });
    } catch (error) {
      reply(400, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  const server = createServer((request, res) => {
    handle(request, res).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=UTF-8' });
        res.end('simulator error');
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const simulator: KiwoomSimulator = {
    url: `http://${host}:${address.port}`,
    async close() {
      if (closed) return;
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await stopped;
    },
    setRows(stkCd, rows) {
      dataset.set(stkCd, rows.map((r) => ({ ...r })));
    },
    rows(stkCd) {
      return dataset.get(stkCd)?.map((r) => ({ ...r }));
    },
    reviseDay(stkCd, dt, patch) {
      const row = dataset.get(stkCd)?.find((r) => r.dt === dt);
      if (row === undefined) throw new SimulatorUsageError(`no row for ${stkCd} on ${dt} to revise`);
      Object.assign(row, patch, { dt });
    },
    setAllowance(apiId, perSecond) {
      if (!(Number.isInteger(perSecond) && perSecond >= 0)) {
        throw new SimulatorUsageError(`allowance must be a non-negative integer, got ${perSecond}`);
      }
      allowance.set(apiId, perSecond);
    },
    setLatency(ms) {
      if (!(Number.isFinite(ms) && ms >= 0)) throw new SimulatorUsageError(`latency must be >= 0 ms, got ${ms}`);
      latencyMs = ms;
    },
    inject: (fault) => faults.inject(fault),
    clearFaults: () => faults.clear(),
    expireTokens: () => tokens.expireAll(),
    issuedTokens: () => tokens.issuedCount,
    requests: log.requests,
    clearRequests: () => log.clear(),
    stats: () => log.stats(),
  };
  return simulator;
}

function outcomeOf(answer: Answer, fault: { fault?: Fault['kind'] }): RequestOutcome {
  return {
    httpStatus: answer.httpStatus,
    ...(answer.returnCode === undefined ? {} : { returnCode: answer.returnCode }),
    ...(answer.detailCode === undefined ? {} : { detailCode: answer.detailCode }),
    ...fault,
    ...(answer.rows === undefined ? {} : { rows: answer.rows }),
    ...(answer.contYn === undefined ? {} : { contYn: answer.contYn }),
  };
}

function apiIdFor(path: string, headers: IncomingMessage['headers']): string {
  if (path === PATHS.token) return 'au10001';
  if (path === PATHS.revoke) return 'au10002';
  const header = headerText(headers['api-id']);
  return header === undefined || header === '' ? '(none)' : header;
}

// next-key is opaque to clients (≤ 50 characters); this one names the code and
// the first day of the next page, so a key is only valid for its own code and
// survives a day being revised between pages.
function nextKeyFor(stkCd: string, dt: string): string {
  return Buffer.from(`${stkCd}|${dt}`, 'utf8').toString('base64url');
}

function offsetOfNextKey(stkCd: string, rows: RawRow[], nextKey: string): number | undefined {
  if (nextKey === '') return undefined;
  const [keyCode, keyDt] = Buffer.from(nextKey, 'base64url').toString('utf8').split('|');
  if (keyCode !== stkCd || keyDt === undefined) return undefined;
  const index = rows.findIndex((r) => r.dt === keyDt);
  return index < 0 ? undefined : index;
}

function detailOf(returnMsg: string): { detailCode?: string } {
  const match = /\[(\d+)[:\]]/.exec(returnMsg);
  return match === null ? {} : { detailCode: match[1]! };
}

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', () => resolve(''));
    request.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
