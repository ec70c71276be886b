// The environment the token function's module reads once at import (as per
// cold start). Import this first in a test file that imports
// functions/handlers/token.ts: ES modules run in import order, so these are
// set before the handler module wires itself.
export const TOKEN_SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:111122223333:secret:kfa-token-AbCdEf';
export const APP_SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:111122223333:secret:kfa-app-GhIjKl';

process.env.KIWOOM_TOKEN_SECRET_ARN = TOKEN_SECRET_ARN;
process.env.KIWOOM_APP_SECRET_ARN = APP_SECRET_ARN;
process.env.AWS_REGION = 'ap-northeast-2';
process.env.POWERTOOLS_METRICS_NAMESPACE = 'KiwoomForeignAlerts';
process.env.POWERTOOLS_SERVICE_NAME = 'kfa-token';
