// POSTs one request to a chat API. The host is checked by the address guard
// and the connection goes to the address it checked: Node's `lookup` hook is
// replaced for this request, so no second DNS answer (a rebinding attacker's)
// is ever used. TLS still verifies the certificate for the URL's host name.
// Redirects are not followed (one could lead inside). Errors never include
// the URL: Telegram's carries the bot token, Slack's and Discord's are keys.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { TransientDeliveryError } from '../errors.ts';
import { checkTarget, systemResolver, type ResolvedAddress, type Resolver, type TargetPolicy } from './address-guard.ts';

export interface HttpAnswer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** At most MAX_ANSWER_BYTES of the body, as text. */
  body: string;
}

export interface HttpPost {
  url: string;
  body: string;
  headers: Record<string, string>;
  /** Give up (transient) after this long. */
  timeoutMs: number;
}

export interface HttpSender {
  post(request: HttpPost): Promise<HttpAnswer>;
}

/** Chat APIs answer in a few hundred bytes; an endless body must not fill the function's memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  }) as unknown as LookupFunction;
}

export class GuardedHttpSender implements HttpSender {
  constructor(
    private readonly policy: TargetPolicy,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  async post(request: HttpPost): Promise<HttpAnswer> {
    const url = new URL(request.url);
    const target = await checkTarget(url, this.policy, this.resolve);
    const client = url.protocol === 'https:' ? https : http;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = client.request(
        url,
        {
          method: 'POST',
          agent: false,
          lookup: pinnedLookup(target),
          headers: {
            'user-agent': 'kiwoom-foreign-alerts',
            ...request.headers,
            'content-length': String(Buffer.byteLength(request.body)),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            if (size < MAX_ANSWER_BYTES) chunks.push(chunk.subarray(0, MAX_ANSWER_BYTES - size));
            size += chunk.length;
          });
          res.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (cause) => reject(new TransientDeliveryError('the answer was cut off', { cause })));
        },
      );
      req.setTimeout(request.timeoutMs, () => {
        req.destroy(new TransientDeliveryError(`no answer within ${request.timeoutMs} ms`));
      });
      req.on('error', (cause: NodeJS.ErrnoException) => {
        reject(cause instanceof TransientDeliveryError ? cause : new TransientDeliveryError(`request failed: ${cause.code ?? cause.message}`, { cause }));
      });
      req.end(request.body);
    });
  }
}
