// A seeded fault proxy between the scan and its AWS parts. DynamoDB Local
// never throttles and never loses an answer; fauxqs never fails a publish.
// The scan reaches them through this proxy (AWS_ENDPOINT_URL_DYNAMODB /
// AWS_ENDPOINT_URL_SNS), which, per request and by a seeded draw:
//
// - throttles: answers without forwarding, in each service's throttling form
//   (DynamoDB 400 ThrottlingException, SNS 429 Throttled), so the SDK backs
//   off and retries;
// - fails: answers 500 without forwarding (DynamoDB InternalServerError, SNS
//   InternalError);
// - loses the answer: forwards, lets the part do the work, then destroys the
//   connection: the write happened, the caller never hears (a retried
//   conditional put then fails its condition; a retried publish is sent twice).
//
// Each scan process gets its own path prefix in its endpoint URLs
// (`http://127.0.0.1:port/<caller>`), so every call is attributed to the
// process that made it even when two scans overlap. Hooks let the harness
// kill, freeze or hold a caller at an exact call.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { Seeded } from './random.ts';

export type Service = 'dynamodb' | 'sns';
export type InjectedFault = 'throttle' | 'error' | 'lost';
export const INJECTED_FAULTS: readonly InjectedFault[] = ['throttle', 'error', 'lost'];

/** Probability per request of each fault; at most one applies. */
export interface FaultRates {
  throttle: number;
  error: number;
  lost: number;
}

export const NO_FAULTS: FaultRates = { throttle: 0, error: 0, lost: 0 };

/** What the caller heard in the end. */
export type CallFate =
  | 'pending'
  /** The upstream's answer reached the caller. */
  | 'answered'
  /** An injected throttle or 500 reached the caller. */
  | 'fault'
  /** Forwarded and served, then the connection was destroyed (injected). */
  | 'lost'
  /** A hook ended the connection (a kill, a frozen process). */
  | 'dropped'
  /** The caller went away before the answer (its process died, or the SDK gave up). */
  | 'abandoned';

export interface PublishedMessage {
  alertId: string | null;
  rule: string | null;
  /** The SNS Message parameter, exactly as sent. */
  message: string;
}

export interface ProxiedCall {
  /** Arrival order over every proxy sharing the policy. */
  seq: number;
  service: Service;
  /** The process that made the call (its endpoint's path prefix). */
  caller: string;
  /** `PutItem`, `Publish`, … */
  operation: string;
  body: string;
  publish: PublishedMessage | null;
  fault: InjectedFault | null;
  /** The part's HTTP status once the call was forwarded; null while not forwarded. */
  upstreamStatus: number | null;
  /** SNS Publish the part accepted: its MessageId. */
  messageId: string | null;
  fate: CallFate;
  /** Wall-clock ms the call reached the proxy. */
  arrivedAt: number;
}

export type HookVerdict = 'continue' | 'drop';

/** Where the harness steps in; each hook may take its time (a held call). */
export interface CallHooks {
  /** Before the call is forwarded (or answered with a fault). `drop`: never forwarded, connection ended. */
  beforeForward?(call: ProxiedCall): HookVerdict | Promise<HookVerdict>;
  /** After the part answered, before the caller hears it. `drop`: the work happened, the answer is lost. */
  beforeAnswer?(call: ProxiedCall): HookVerdict | Promise<HookVerdict>;
  /** After the answer went out. */
  afterAnswer?(call: ProxiedCall): void;
}

/** Rates, the seeded draws and the record of every call, shared by the DynamoDB and SNS proxies. */
export class FaultPolicy {
  rates: FaultRates = { ...NO_FAULTS };
  /** Hooks per caller: the harness steps into one process's calls. */
  readonly hooks = new Map<string, CallHooks>();
  readonly calls: ProxiedCall[] = [];
  readonly #random: Seeded;

  constructor(random: Seeded) {
    this.#random = random;
  }

  /** One draw per call, whatever the rates, so a run's sequence of draws does not depend on when faults were on. */
  decide(): InjectedFault | null {
    const draw = this.#random.real();
    const { throttle, error, lost } = this.rates;
    if (draw < throttle) return 'throttle';
    if (draw < throttle + error) return 'error';
    if (draw < throttle + error + lost) return 'lost';
    return null;
  }

  /** Injected faults by service and kind. */
  injected(): Record<Service, Record<InjectedFault, number>> {
    const counts = { dynamodb: { throttle: 0, error: 0, lost: 0 }, sns: { throttle: 0, error: 0, lost: 0 } };
    for (const call of this.calls) if (call.fault) counts[call.service][call.fault] += 1;
    return counts;
  }

  callsOf(caller: string): ProxiedCall[] {
    return this.calls.filter((c) => c.caller === caller);
  }
}

export interface FaultProxy {
  service: Service;
  /** The endpoint for one caller: point its AWS_ENDPOINT_URL_* here. */
  endpointFor(caller: string): string;
  close(): Promise<void>;
}

export async function startFaultProxy(service: Service, upstream: string, policy: FaultPolicy): Promise<FaultProxy> {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void relay(service, target, policy, req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    service,
    endpointFor: (caller) => `http://127.0.0.1:${port}/${encodeURIComponent(caller)}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function relay(service: Service, target: URL, policy: FaultPolicy, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const raw = await readAll(req);
  const body = raw.toString('utf8');
  const { caller, path } = splitCaller(req.url ?? '/');
  const call: ProxiedCall = {
    seq: policy.calls.length + 1,
    service,
    caller,
    operation: operationOf(service, req, body),
    body,
    publish: service === 'sns' ? publishedMessage(body) : null,
    fault: null,
    upstreamStatus: null,
    messageId: null,
    fate: 'pending',
    arrivedAt: Date.now(),
  };
  policy.calls.push(call);
  let answered = false;
  res.once('close', () => {
    if (!answered && call.fate === 'pending') call.fate = 'abandoned';
  });
  const end = (fate: CallFate): void => {
    answered = true;
    call.fate = fate;
    res.destroy();
  };

  const hooks = policy.hooks.get(caller) ?? {};
  call.fault = policy.decide();
  if ((await hooks.beforeForward?.(call)) === 'drop') return end('dropped');
  if (res.destroyed) return;
  if (call.fault === 'throttle' || call.fault === 'error') {
    const answer = faultAnswer(service, call.fault);
    answered = true;
    call.fate = 'fault';
    res.writeHead(answer.status, { 'content-type': answer.contentType, 'x-amzn-requestid': randomUUID() });
    res.end(answer.body);
    return;
  }

  const upstream = await forward(target, req, path, raw);
  call.upstreamStatus = upstream.status;
  if (call.publish && upstream.status === 200) call.messageId = /<MessageId>([^<]+)<\/MessageId>/.exec(upstream.body.toString('utf8'))?.[1] ?? null;
  if (call.fault === 'lost') return end('lost');
  if ((await hooks.beforeAnswer?.(call)) === 'drop') return end('dropped');
  if (res.destroyed) return;
  answered = true;
  call.fate = 'answered';
  res.writeHead(upstream.status, upstream.headers);
  res.end(upstream.body);
  hooks.afterAnswer?.(call);
}

function splitCaller(url: string): { caller: string; path: string } {
  const match = /^\/([^/?]+)(.*)$/.exec(url);
  if (!match) return { caller: '', path: url };
  const rest = match[2] ?? '';
  return { caller: decodeURIComponent(match[1] ?? ''), path: rest.startsWith('/') ? rest : `/${rest}` };
}

function operationOf(service: Service, req: IncomingMessage, body: string): string {
  if (service === 'dynamodb') {
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    return targetHeader.slice(targetHeader.indexOf('.') + 1) || 'unknown';
  }
  return new URLSearchParams(body).get('Action') ?? 'unknown';
}

/** The alert_id and rule attributes and the Message of an SNS Publish (query protocol, form-encoded). */
export function publishedMessage(body: string): PublishedMessage | null {
  const form = new URLSearchParams(body);
  if (form.get('Action') !== 'Publish') return null;
  const attributes = new Map<string, string>();
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const value = form.get(`MessageAttributes.entry.${n}.Value.StringValue`);
    if (value !== null) attributes.set(form.get(`MessageAttributes.entry.${n}.Name`) ?? '', value);
  }
  return { alertId: attributes.get('alert_id') ?? null, rule: attributes.get('rule') ?? null, message: form.get('Message') ?? '' };
}

interface FaultAnswer {
  status: number;
  contentType: string;
  body: string;
}

/** The forms each service uses, so the SDK classifies them as it would in AWS (throttling → backoff, 5xx → retry). */
export function faultAnswer(service: Service, fault: 'throttle' | 'error'): FaultAnswer {
  if (service === 'dynamodb') {
    const type = fault === 'throttle' ? 'ThrottlingException' : 'InternalServerError';
    const message = fault === 'throttle' ? 'Rate of requests exceeds the allowed throughput.' : 'Internal server error';
    return {
      status: fault === 'throttle' ? 400 : 500,
      contentType: 'application/x-amz-json-1.0',
      body: JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }),
    };
  }
  // The SDK's SNS model: ThrottledException is the query error `Throttled` with HTTP 429.
  const [status, type, code, message] =
    fault === 'throttle' ? [429, 'Sender', 'Throttled', 'Rate exceeded'] : [500, 'Receiver', 'InternalError', 'Internal failure'];
  return {
    status,
    contentType: 'text/xml',
    body:
      `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type>` +
      `<Code>${code}</Code><Message>${message}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

function forward(target: URL, req: IncomingMessage, path: string, body: Buffer): Promise<UpstreamAnswer> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host };
    const outgoing = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path, headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.once('end', () => {
          const passed: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            // The body is re-sent whole, so framing headers are recomputed.
            if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection') passed[name] = value;
          }
          resolve({ status: answer.statusCode ?? 502, headers: passed, body: Buffer.concat(chunks) });
        });
        answer.once('error', reject);
      },
    );
    outgoing.once('error', reject);
    outgoing.end(body);
  });
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
