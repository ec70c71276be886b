// What the simulated Kiwoom answers, apart from HTTP: token issuance and
// revocation (au10001/au10002), ka10008 with continuation, and the allowance
// per app key and API id. server.ts feeds it parsed requests; nothing here
// knows about sockets, faults or latency.
import type { IncomingMessage } from 'node:http';
import type { RawRow } from '../../functions/domain/types.ts';
import { answers, kiwoomJson, OK_MSG, type Answer } from './answers.ts';
import { RollingWindow } from './rate-window.ts';
import { TokenBook } from './token-book.ts';

export const DEFAULT_ALLOWANCE = 5;

export const PATHS = {
  token: '/oauth2/token',
  revoke: '/oauth2/revoke',
  frgnistt: '/api/dostk/frgnistt',
} as const;

/** What the endpoints need to know about one request. */
export interface Incoming {
  path: string;
  apiId: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  stkCd: string | undefined;
  /** When the request reached Kiwoom's counter (monotonic ms). */
  arrivedAtMs: number;
}

export interface ServiceOptions {
  apps: Map<string, string>;
  allowance: Map<string, number>;
  countRejected: boolean;
  pageSize: number;
  tokenType: string;
  tokens: TokenBook;
  dataset: Map<string, RawRow[]>;
}

export class KiwoomService {
  readonly #window = new RollingWindow();

  constructor(private readonly o: ServiceOptions) {}

  allowanceOf(apiId: string): number {
    return this.o.allowance.get(apiId) ?? DEFAULT_ALLOWANCE;
  }

  answer(req: Incoming): Answer {
    switch (req.path) {
      case PATHS.token:
        return this.#issueToken(req);
      case PATHS.revoke:
        return this.#revokeToken(req);
      case PATHS.frgnistt:
        return this.#foreignHoldings(req);
      default:
        return answers.wrongUri();
    }
  }

  #issueToken(req: Incoming): Answer {
    const rateLimited = this.#admit('', req);
    if (rateLimited) return rateLimited;
    const body = asRecord(req.body);
    if (body === undefined) return answers.badInput('body', 'JSON 형식이 아닙니다');
    if (body['grant_type'] === undefined || body['grant_type'] === '') return answers.missingGrantType();
    if (body['grant_type'] !== 'client_credentials') return answers.wrongGrantType();
    const checked = this.#checkCredentials(body);
    if (typeof checked !== 'string') return checked;
    const issued = this.o.tokens.issue(checked);
    return answers.ok({ expires_dt: issued.expiresDt, token_type: this.o.tokenType, token: issued.token });
  }

  #revokeToken(req: Incoming): Answer {
    const rateLimited = this.#admit('', req);
    if (rateLimited) return rateLimited;
    const body = asRecord(req.body);
    if (body === undefined) return answers.badInput('body', 'JSON 형식이 아닙니다');
    const checked = this.#checkCredentials(body);
    if (typeof checked !== 'string') return checked;
    const token = body['token'];
    if (typeof token !== 'string' || token === '') return answers.missingRevokeToken();
    if (!this.o.tokens.revoke(checked, token)) return answers.tokenInvalid();
    return answers.ok();
  }

  /** The app key when the body's app key and secret key match a configured app; else the error answer. */
  #checkCredentials(body: Record<string, unknown>): string | Answer {
    const appKey = body['appkey'];
    const secretKey = body['secretkey'];
    if (typeof appKey !== 'string' || appKey === '' || typeof secretKey !== 'string' || secretKey === '') {
      return answers.missingAppCredentials();
    }
    const expected = this.o.apps.get(appKey);
    if (expected === undefined) return answers.unknownAppKey();
    if (expected !== secretKey) return answers.wrongSecretKey();
    return appKey;
  }

  /**
   * The window check for token calls (keyed by the app key in the body, known
   * or not, as the quota sits in front of the credential check) and for data
   * calls (keyed by the token's app key). Undefined when admitted.
   */
  #admit(appKeyOfToken: string, req: Incoming): Answer | undefined {
    const appKey = appKeyOfToken !== '' ? appKeyOfToken : String(asRecord(req.body)?.['appkey'] ?? '');
    const limit = this.allowanceOf(req.apiId);
    if (this.#window.admit(appKey, req.apiId, req.arrivedAtMs, limit, this.o.countRejected)) return undefined;
    return answers.rateLimited(req.apiId, limit);
  }

  #foreignHoldings(req: Incoming): Answer {
    const apiHeaders = { 'api-id': req.apiId };
    const headerApiId = headerText(req.headers['api-id']);
    if (headerApiId === undefined || headerApiId === '') return answers.missingApiId();
    if (headerApiId !== 'ka10008') return answers.wrongUri(apiHeaders);

    const authorization = headerText(req.headers['authorization']);
    if (authorization === undefined || authorization.trim() === '') return answers.missingAuthorization(apiHeaders);
    const match = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match === null) return answers.malformedAuthorization(apiHeaders);
    const appKey = this.o.tokens.appKeyOf(match[1]!);
    if (appKey === undefined) return answers.tokenInvalid(apiHeaders);

    const rateLimited = this.#admit(appKey, req);
    if (rateLimited) return rateLimited;

    const body = asRecord(req.body);
    if (body === undefined) return answers.badInput('body', 'JSON 형식이 아닙니다', apiHeaders);
    const stkCd = body['stk_cd'];
    if (typeof stkCd !== 'string' || stkCd.trim() === '') return answers.missingInput('stk_cd', apiHeaders);
    const rows = this.o.dataset.get(stkCd);
    if (rows === undefined) return answers.unknownStock(apiHeaders);
    return this.#page(req, stkCd, rows, apiHeaders);
  }

  #page(req: Incoming, stkCd: string, rows: RawRow[], apiHeaders: Record<string, string>): Answer {
    let offset = 0;
    if (headerText(req.headers['cont-yn'])?.toUpperCase() === 'Y') {
      const found = offsetOfNextKey(stkCd, rows, headerText(req.headers['next-key']) ?? '');
      if (found === undefined) return answers.badInput('next-key', '연속조회키가 올바르지 않습니다', apiHeaders);
      offset = found;
    }
    const pageSize = this.o.pageSize;
    const page = rows.slice(offset, offset + pageSize);
    const next = rows[offset + pageSize];
    const contYn = next === undefined ? 'N' : 'Y';
    const answer = kiwoomJson(
      { stk_frgnr: page, return_code: 0, return_msg: OK_MSG },
      { headers: { ...apiHeaders, 'cont-yn': contYn, 'next-key': next === undefined ? '' : nextKeyFor(stkCd, next.dt) } },
    );
    return { ...answer, rows: page.length, contYn };
  }
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

export function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
