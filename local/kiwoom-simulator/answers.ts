// Kiwoom's answers in the forms the live servers use (shared/kiwoom/README.md):
// a small category in `return_code`, the documented detail code in brackets
// inside `return_msg`, and HTTP 200 for everything but the 1700 quota answer.

export const OK_MSG = '정상적으로 처리되었습니다';
export const JSON_CONTENT_TYPE = 'application/json;charset=UTF-8';

/** An answer ready to send, plus what the request log records of it. */
export interface Answer {
  httpStatus: number;
  headers: Record<string, string>;
  /** Text is sent as UTF-8; a Buffer as is (e.g. an EUC-KR error page). */
  body: string | Buffer;
  returnCode?: number | string;
  /** The bracketed detail code (`'8005'`), when the answer is a Kiwoom error. */
  detailCode?: string;
  /** ka10008 only: rows served and whether older rows exist. */
  rows?: number;
  contYn?: 'Y' | 'N';
}

export function kiwoomJson(
  payload: Record<string, unknown>,
  options: { httpStatus?: number; headers?: Record<string, string>; detailCode?: string } = {},
): Answer {
  return {
    httpStatus: options.httpStatus ?? 200,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...options.headers },
    body: JSON.stringify(payload),
    returnCode: payload['return_code'] as number | string | undefined,
    ...(options.detailCode === undefined ? {} : { detailCode: options.detailCode }),
  };
}

/** Categories seen on the live service, with the text that precedes the bracket. */
const CATEGORY = {
  uri: { code: 1, text: 'URI 정보가 올바르지 않습니다' },
  input: { code: 2, text: '입력 값 오류입니다' },
  auth: { code: 3, text: '인증에 실패했습니다' },
  quota: { code: 5, text: '허용된 요청 개수를 초과하였습니다' },
  stock: { code: 7, text: '종목 정보가 없습니다' },
} as const;

type Category = keyof typeof CATEGORY;

export function kiwoomError(
  category: Category,
  detailCode: string,
  detailText: string,
  options: { httpStatus?: number; headers?: Record<string, string> } = {},
): Answer {
  const { code, text } = CATEGORY[category];
  return kiwoomJson({ return_code: code, return_msg: `${text}[${detailCode}:${detailText}]` }, { ...options, detailCode });
}

export const answers = {
  wrongUri: (headers?: Record<string, string>) =>
    kiwoomError('uri', '1504', '해당 URI에서는 지원하는 API ID가 아닙니다', { headers }),
  missingApiId: () => kiwoomError('input', '1501', 'API ID가 Null이거나 값이 없습니다'),
  missingInput: (parameter: string, headers?: Record<string, string>) =>
    kiwoomError('input', '1511', `필수 입력 값에 값이 존재하지 않습니다. 파라미터=${parameter}`, { headers }),
  missingAuthorization: (headers?: Record<string, string>) =>
    kiwoomError('input', '1513', 'Http Header에 authorization 필드가 설정되어 있어야 합니다', { headers }),
  malformedAuthorization: (headers?: Record<string, string>) =>
    kiwoomError('input', '1514', '입력으로 들어온 Http Header의 authorization 필드 형식이 맞지 않습니다', { headers }),
  badInput: (parameter: string, reason: string, headers?: Record<string, string>) =>
    kiwoomError('input', '1517', `입력 값 형식이 올바르지 않습니다. 파라미터=${parameter} 실패사유=${reason}`, { headers }),
  missingAppCredentials: () => kiwoomError('input', '8020', '입력파라미터로 appkey 또는 secretkey가 들어오지 않았습니다.'),
  unknownAppKey: () => kiwoomError('auth', '8001', 'App Key와 Secret Key 검증에 실패했습니다'),
  wrongSecretKey: () => kiwoomError('auth', '8002', 'App Key와 Secret Key 검증에 실패했습니다. 실패사유=secretkey 불일치'),
  missingGrantType: () =>
    kiwoomError('auth', '8011', 'Access Token을 발급하는데 실패했습니다. 입력값에 grant_type이 들어오지 않았습니다'),
  wrongGrantType: () => kiwoomError('auth', '8012', 'Access Token을 발급하는데 실패했습니다. grant_type의 값이 맞지 않습니다'),
  missingRevokeToken: () =>
    kiwoomError('auth', '8016', 'Access Token을 폐기하는데 실패했습니다. 입력값에 Token이 들어오지 않았습니다'),
  tokenInvalid: (headers?: Record<string, string>) => kiwoomError('auth', '8005', 'Token이 유효하지 않습니다', { headers }),
  unknownStock: (headers?: Record<string, string>) => kiwoomError('stock', '1902', '종목 정보가 없습니다', { headers }),
  /** The live 1700 form, `유량=` being the server's allowance for that API. */
  rateLimited: (apiId: string, allowance: number, httpStatus: 429 | 200 = 429) =>
    kiwoomError('quota', '1700', `허용된 (API) 요청 개수를 초과하였습니다. 유량=${allowance}, API ID=${apiId}`, {
      httpStatus,
      headers: { 'api-id': apiId },
    }),
  ok: (payload: Record<string, unknown> = {}, headers?: Record<string, string>) =>
    kiwoomJson({ ...payload, return_code: 0, return_msg: OK_MSG }, { headers }),
};
