import { describe, expect, it } from 'vitest';
import {
  BadCredentialsError,
  BadInputError,
  IpNotAllowedError,
  KiwoomError,
  ModeMismatchError,
  RateLimitedError,
  TokenInvalidError,
  TransientError,
  UnknownStockError,
  bracketedDetailCode,
  classifyAnswer,
  safeCause,
  statedAllowance,
} from '../../functions/kiwoom/errors.ts';

type ErrorClass = abstract new (...args: never[]) => KiwoomError;

// The category each detail code arrives under on the live service.
const DETAIL_CODES: [number, number, ErrorClass][] = [
  [1700, 5, RateLimitedError],
  [1701, 5, RateLimitedError],
  [1702, 5, RateLimitedError],
  [8003, 3, TokenInvalidError],
  [8005, 3, TokenInvalidError],
  [8006, 3, TokenInvalidError],
  [8009, 3, TokenInvalidError],
  [8015, 3, TokenInvalidError],
  [8016, 3, TokenInvalidError],
  [8001, 3, BadCredentialsError],
  [8002, 3, BadCredentialsError],
  [8011, 3, BadCredentialsError],
  [8012, 3, BadCredentialsError],
  [8030, 2, ModeMismatchError],
  [8031, 2, ModeMismatchError],
  [8010, 3, IpNotAllowedError],
  [8040, 3, IpNotAllowedError],
  [8050, 3, IpNotAllowedError],
  [8103, 3, IpNotAllowedError],
  [1901, 7, UnknownStockError],
  [1902, 7, UnknownStockError],
  [1501, 2, BadInputError],
  [1504, 1, BadInputError],
  [1505, 2, BadInputError],
  [1511, 2, BadInputError],
  [1512, 2, BadInputError],
  [1513, 2, BadInputError],
  [1514, 2, BadInputError],
  [1515, 2, BadInputError],
  [1516, 2, BadInputError],
  [1517, 2, BadInputError],
  [1634, 5, BadInputError],
  [1687, 2, BadInputError],
  [8020, 2, BadInputError],
];

function liveAnswer(category: number | string, returnMsg: string, httpStatus = 200) {
  return { httpStatus, body: { return_code: category, return_msg: returnMsg }, apiId: 'ka10008', stkCd: '005930' };
}

describe('classifyAnswer', () => {
  it.each(DETAIL_CODES)('classifies detail %i in its live form (category %i, code in brackets)', (code, category, cls) => {
    const error = classifyAnswer(liveAnswer(category, `오류입니다[${code}:상세 메시지]`));
    expect(error).toBeInstanceOf(cls);
    expect(error).toMatchObject({ category, detailCode: code, httpStatus: 200, apiId: 'ka10008', stkCd: '005930' });
  });

  it.each(DETAIL_CODES)('classifies detail %i sent as a top-level return_code (older form)', (code, _category, cls) => {
    const error = classifyAnswer(liveAnswer(code, '상세 메시지'));
    expect(error).toBeInstanceOf(cls);
    expect(error?.detailCode).toBe(code);
  });

  it('accepts a string return_code', () => {
    const error = classifyAnswer(liveAnswer('3', '인증에 실패했습니다[8005:Token이 유효하지 않습니다]'));
    expect(error).toBeInstanceOf(TokenInvalidError);
    expect(error?.category).toBe(3);
  });

  it('treats return_code 0 with HTTP 200 as success', () => {
    expect(classifyAnswer(liveAnswer(0, '정상적으로 처리되었습니다'))).toBeNull();
    expect(classifyAnswer(liveAnswer('0', '정상적으로 처리되었습니다'))).toBeNull();
  });

  it('reads the allowance from a 1700 sent with HTTP 429', () => {
    const error = classifyAnswer(
      liveAnswer(
        5,
        '허용된 요청 개수를 초과하였습니다[1700:허용된 (API) 요청 개수를 초과하였습니다. 유량=2, API ID=ka10008]',
        429,
      ),
    );
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).allowance).toBe(2);
    expect(error?.httpStatus).toBe(429);
  });

  it('recognises a 1700 that arrives with HTTP 200', () => {
    const error = classifyAnswer(liveAnswer(5, '허용된 요청 개수를 초과하였습니다[1700:… 유량=1, API ID=ka10008]'));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).allowance).toBe(1);
  });

  it('leaves the allowance null when the message states none', () => {
    const error = classifyAnswer(liveAnswer(5, '허용된 요청 개수를 초과하였습니다[1701:전체 허용 개수 초과]'));
    expect((error as RateLimitedError).allowance).toBeNull();
  });

  it('reads the [2000](RC9000…) form and treats its unrecognised code as bad input', () => {
    const error = classifyAnswer(liveAnswer(20, '모의투자에서는 해당서비스를 제공하지 않습니다[2000](RC9000:모의투자 미제공)'));
    expect(error).toBeInstanceOf(BadInputError);
    expect(error?.detailCode).toBe(2000);
  });

  it('treats an unrecognised non-zero category without a detail code as bad input', () => {
    expect(classifyAnswer(liveAnswer(2, '입력 값 오류입니다'))).toBeInstanceOf(BadInputError);
  });

  it('treats HTTP 429 without a Kiwoom body as a rate limit', () => {
    expect(classifyAnswer({ httpStatus: 429, body: undefined, apiId: 'ka10008' })).toBeInstanceOf(RateLimitedError);
  });

  it('treats HTTP 401 without a Kiwoom body as an invalid token', () => {
    expect(classifyAnswer({ httpStatus: 401, body: undefined, apiId: 'ka10008' })).toBeInstanceOf(TokenInvalidError);
  });

  it.each([500, 502, 503])('treats HTTP %i as transient even with a Kiwoom body', (status) => {
    const error = classifyAnswer(liveAnswer(3, '인증에 실패했습니다[8005:Token이 유효하지 않습니다]', status));
    expect(error).toBeInstanceOf(TransientError);
  });

  it.each([400, 403, 404])('treats HTTP %i without a classifiable body as transient', (status) => {
    expect(classifyAnswer({ httpStatus: status, body: { error: 'nope' }, apiId: 'ka10008' })).toBeInstanceOf(
      TransientError,
    );
  });

  it('classifies a 4xx by its body when the body names a detail code', () => {
    expect(classifyAnswer(liveAnswer(7, '종목 정보가 없습니다[1902:종목 정보가 없습니다]', 400))).toBeInstanceOf(
      UnknownStockError,
    );
  });

  it('treats a body that is not JSON as transient', () => {
    const error = classifyAnswer({ httpStatus: 200, body: undefined, apiId: 'ka10008' });
    expect(error).toBeInstanceOf(TransientError);
    expect(error?.message).toContain('not JSON');
  });

  it('treats a JSON body without return_code as transient', () => {
    expect(classifyAnswer({ httpStatus: 200, body: { stk_frgnr: [] }, apiId: 'ka10008' })).toBeInstanceOf(
      TransientError,
    );
  });

  it('keeps Kiwoom’s message text on the error', () => {
    const msg = '종목 정보가 없습니다[1902:종목 정보가 없습니다]';
    const error = classifyAnswer(liveAnswer(7, msg));
    expect(error?.returnMsg).toBe(msg);
    expect(error?.message).toContain(msg);
    expect(error?.message).toContain('005930');
  });

  it('blanks out values it is told to redact from the message', () => {
    const error = classifyAnswer({ ...liveAnswer(3, '인증 실패[8005:token abcdef123456 invalid]'), redact: ['abcdef123456'] });
    expect(error?.returnMsg).not.toContain('abcdef123456');
    expect(error?.message).not.toContain('abcdef123456');
  });
});

describe('what the caller does next', () => {
  const details = { apiId: 'ka10008' };
  it.each([
    [new BadCredentialsError(details), true, false],
    [new ModeMismatchError(details), true, false],
    [new IpNotAllowedError(details), true, false],
    [new TokenInvalidError(details), false, false],
    [new UnknownStockError(details), false, false],
    [new BadInputError(details), false, false],
    [new RateLimitedError(details), false, true],
    [new TransientError('server error', details), false, true],
  ])('%s: stopsRun %s, retryable %s', (error, stopsRun, retryable) => {
    expect(error).toBeInstanceOf(KiwoomError);
    expect(error.stopsRun).toBe(stopsRun);
    expect(error.retryable).toBe(retryable);
  });

  it('tells the user to register the public IP of this machine', () => {
    expect(new IpNotAllowedError(details).message).toMatch(/register the public IP of this machine with Kiwoom/);
  });

  it('names each class literally', () => {
    expect(new RateLimitedError().name).toBe('RateLimitedError');
    expect(new TransientError('x').name).toBe('TransientError');
  });
});

describe('message parts', () => {
  it('finds the bracketed detail code in both live forms', () => {
    expect(bracketedDetailCode('인증에 실패했습니다[8005:Token이 유효하지 않습니다]')).toBe(8005);
    expect(bracketedDetailCode('모의투자 미제공[2000](RC9000)')).toBe(2000);
    expect(bracketedDetailCode('정상적으로 처리되었습니다')).toBeNull();
  });

  it('reads 유량=N', () => {
    expect(statedAllowance('[1700:허용된 (API) 요청 개수를 초과하였습니다. 유량=3, API ID=ka10008]')).toBe(3);
    expect(statedAllowance('[1700:허용된 요청 개수를 초과하였습니다]')).toBeNull();
  });
});

describe('safeCause', () => {
  it('keeps name, message and code but drops everything else down the chain', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), {
      code: 'ECONNREFUSED',
      request: { headers: { authorization: 'Bearer secret-token-value' } },
    });
    const outer = new TypeError('fetch failed', { cause: inner });
    const copy = safeCause(outer);
    expect(copy.name).toBe('TypeError');
    expect(copy.message).toContain('ECONNREFUSED');
    expect((copy as Error & { code?: string }).code).toBe('ECONNREFUSED');
    expect(copy.cause).toBeUndefined();
    expect(JSON.stringify(Object.getOwnPropertyDescriptors(copy))).not.toContain('secret-token-value');
  });
});
