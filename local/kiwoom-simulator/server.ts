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
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RawRow } from '../../functions/domain/types.ts';
import { answers, kiwoomJson, type Answer } from './answers.ts';
import { encodeEucKr } from './euc-kr.ts';
import { FaultBook, garbageBody, type AnsweringFault, type BodyCharset, type Fault } from './faults.ts';
import { redactBody, redactHeaders, RequestLog, type RecordedRequest, type RequestOutcome } from './request-log.ts';
import { asRecord, headerText, KiwoomService, PATHS, type Incoming } from './service.ts';
import { TokenBook } from './token-book.ts';

export type { BodyCharset, Fault, FaultKind, FaultScope, GarbageForm } from './faults.ts';
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
  /**
   * au10001 hands back the app key's current token, with its expiry, while it
   * is still valid (default false: a new token every time). Some users see
   * this near expiry: a "new" token with minutes left.
   */
  sameTokenWhileValid?: boolean;
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
  /** Waits for latency and jitter (default real timers); inject with `monotonicNow` to run on a virtual clock. */
  sleep?: (ms: number) => Promise<void>;
  /** Draws jitter (default `Math.random`); inject a seeded one for repeatable runs. */
  random?: () => number;
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
const DAY_MS = 24 * 60 * 60 * 1000;
const MAX_BODY_BYTES = 1 << 20;

export async function startKiwoomSimulator(options: SimulatorOptions = {}): Promise<KiwoomSimulator> {
  const now = options.now ?? (() => new Date());
  const pageSize = options.pageSize ?? 50;
  if (!(Number.isInteger(pageSize) && pageSize > 0)) throw new SimulatorUsageError(`pageSize must be a positive integer, got ${pageSize}`);
  const tokens = new TokenBook(
    now,
    options.tokenTtlMs ?? DAY_MS,
    options.invalidatePreviousToken ?? true,
    options.sameTokenWhileValid ?? false,
  );
  const dataset = new Map<string, RawRow[]>();
  for (const [stkCd, rows] of Object.entries(options.data ?? {})) dataset.set(stkCd, rows.map((r) => ({ ...r })));
  const allowance = new Map<string, number>(
    Object.entries(options.allowance ?? {}).filter((e): e is [string, number] => e[1] !== undefined),
  );
  const service = new KiwoomService({
    apps: new Map((options.apps ?? DEFAULT_APPS).map((app) => [app.appKey, app.secretKey])),
    allowance,
    countRejected: options.countRejected ?? false,
    pageSize,
    tokenType: options.tokenType ?? 'bearer',
    tokens,
    dataset,
  });
  const transport = new Transport(service, {
    now,
    monotonicNow: options.monotonicNow ?? (() => performance.now()),
    latencyMs: options.latencyMs ?? 0,
    sleep: options.sleep,
    random: options.random ?? Math.random,
  });
  const server = createServer((request, res) => {
    transport.handle(request, res, simulator).catch(() => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=UTF-8' });
        res.end('simulator error');
      }
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  const url = await listen(server, options);

  const simulator: KiwoomSimulator = {
    url,
    async close() {
      if (transport.closed) return;
      transport.close();
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
      transport.latencyMs = ms;
    },
    inject: (fault) => transport.faults.inject(fault),
    clearFaults: () => transport.faults.clear(),
    expireTokens: () => tokens.expireAll(),
    issuedTokens: () => tokens.issuedCount,
    requests: transport.log.requests,
    clearRequests: () => transport.log.clear(),
    stats: () => transport.log.stats(),
  };
  return simulator;
}

async function listen(server: Server, options: SimulatorOptions): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}

interface TransportOptions {
  now: () => Date;
  monotonicNow: () => number;
  latencyMs: number;
  sleep: ((ms: number) => Promise<void>) | undefined;
  random: () => number;
}

/**
 * HTTP in front of the service: reads and records each request, lets an
 * injected fault answer instead, adds latency, and answers the admin routes.
 * Keeps its pending delays so close() can end them at once.
 */
class Transport {
  readonly faults = new FaultBook();
  readonly log = new RequestLog();
  latencyMs: number;
  closed = false;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly service: KiwoomService,
    private readonly o: TransportOptions,
  ) {
    this.latencyMs = o.latencyMs;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  /** Waits `ms` on the injected clock, or on a timer close() can cancel. */
  #wait(ms: number): Promise<void> {
    return this.o.sleep === undefined ? this.delay(ms) : this.o.sleep(ms);
  }

  async handle(request: IncomingMessage, res: ServerResponse, simulator: KiwoomSimulator): Promise<void> {
    const receivedAtMs = this.o.monotonicNow();
    const receivedAt = this.o.now();
    const path = new URL(request.url ?? '/', 'http://simulator').pathname;
    const rawBody = await readBody(request);
    if (path.startsWith('/__sim/')) return admin(simulator, path, request.method ?? 'GET', rawBody, res);

    const body = parseJson(rawBody);
    const apiId = apiIdFor(path, request.headers);
    const bodyStkCd = asRecord(body)?.['stk_cd'];
    const stkCd = typeof bodyStkCd === 'string' ? bodyStkCd : undefined;
    const target = { apiId, stkCd };
    // Jitter delays the moment the request reaches Kiwoom's counter.
    const jitter = this.faults.takeJitter(target);
    const inboundMs = jitter === undefined ? 0 : this.o.random() * 2 * jitter.ms;
    await this.#wait(inboundMs);
    if (this.closed) return;
    const arrivedAtMs = receivedAtMs + inboundMs;
    const req: Incoming = { path, apiId, headers: request.headers, body, stkCd, arrivedAtMs };
    const record = this.log.add({
      timeMs: arrivedAtMs,
      receivedAt,
      method: request.method ?? 'GET',
      path,
      apiId,
      headers: redactHeaders(request.headers),
      body: body === undefined ? null : redactBody(body),
    });

    const answering = this.faults.takeAnswering(target);
    const extraLatency = this.faults.takeLatency(target)?.ms ?? 0;
    const fromFault = answering === undefined ? undefined : await this.#faultAnswer(answering, req, res);
    const answer = fromFault ?? this.service.answer(req);
    const faultKind = answering === undefined ? {} : { fault: answering.kind };

    if (answer === 'drop') {
      this.log.settle(record, { httpStatus: null, ...faultKind });
      res.destroy();
      return;
    }
    await this.#wait(this.latencyMs + extraLatency);
    if (this.closed || res.destroyed) {
      this.log.settle(record, { httpStatus: null, ...faultKind });
      return;
    }
    this.log.settle(record, outcomeOf(answer, faultKind));
    res.writeHead(answer.httpStatus, answer.headers);
    res.end(answer.body);
  }

  /** The answer an injected fault gives; 'drop' ends the connection unanswered; undefined: answer normally. */
  async #faultAnswer(fault: AnsweringFault, req: Incoming, res: ServerResponse): Promise<Answer | 'drop' | undefined> {
    switch (fault.kind) {
      case 'http500':
        return inCharset(fault.charset, {
          httpStatus: 500,
          headers: { 'content-type': 'text/plain; charset=UTF-8' },
          body: fault.body ?? 'Internal Server Error',
        });
      case 'garbage': {
        const garbage = garbageBody(fault.form ?? 'html');
        return inCharset(fault.charset, {
          httpStatus: fault.httpStatus ?? 200,
          headers: { 'content-type': fault.body === undefined ? garbage.contentType : 'text/plain; charset=UTF-8' },
          body: fault.body ?? garbage.body,
        });
      }
      case 'rateLimit':
        return answers.rateLimited(req.apiId, this.service.allowanceOf(req.apiId), fault.httpStatus ?? 429);
      case 'tokenRejected':
        return answers.tokenInvalid({ 'api-id': req.apiId });
      case 'kiwoomError':
        return inCharset(
          fault.charset,
          kiwoomJson(
            { ...fault.extra, return_code: fault.returnCode, return_msg: fault.returnMsg },
            { httpStatus: fault.httpStatus ?? 200, headers: { 'api-id': req.apiId }, ...detailOf(fault.returnMsg) },
          ),
        );
      case 'timeout': {
        const gaveUp = new Promise<void>((resolve) => res.once('close', resolve));
        await (fault.holdMs === undefined ? gaveUp : Promise.race([this.delay(fault.holdMs), gaveUp]));
        return fault.afterHold === 'answer' && !res.destroyed ? undefined : 'drop';
      }
    }
  }
}

function admin(simulator: KiwoomSimulator, path: string, method: string, rawBody: string, res: ServerResponse): void {
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

/** The answer with its body in `charset`, named so in its content-type. */
function inCharset(charset: BodyCharset | undefined, answer: Answer): Answer {
  if (charset === undefined || charset === 'utf-8') return answer;
  const text = typeof answer.body === 'string' ? answer.body : answer.body.toString('utf8');
  const contentType = (answer.headers['content-type'] ?? 'text/plain').replace(/;\s*charset=[^;]*/i, '');
  return { ...answer, headers: { ...answer.headers, 'content-type': `${contentType};charset=EUC-KR` }, body: encodeEucKr(text) };
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

function detailOf(returnMsg: string): { detailCode?: string } {
  const match = /\[(\d+)[:\]]/.exec(returnMsg);
  return match === null ? {} : { detailCode: match[1]! };
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
