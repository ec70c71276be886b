// The alert messages, one module per channel under ./messages/: the payload
// (`default`), the email, the SMS, the Subject and the digest, beside the
// shared forms of numbers, days and one-line text. This index keeps the
// exports callers import from `domain/messages.ts`.
export {
  AlertContextMismatchError,
  buildAlertMessage,
  snsMessageJson,
  type AlertMessage,
  type AlertMessageContext,
} from './messages/alert.ts';
export {
  buildDigestMessage,
  DIGEST_MAX_ALERTS,
  digestBatches,
  EmptyDigestError,
  type DigestContext,
  type DigestMessage,
  type DigestPayload,
} from './messages/digest.ts';
export { forecastArithmetic, foreignOwnershipUrl, SPARKLINE_DAYS } from './messages/email.ts';
export {
  displayName,
  fitWithName,
  formatCompactPercentBp,
  formatPercentBp,
  formatPointsBp,
  formatShares,
  formatSignedShares,
  formatTradingDay,
  holdingsChangeText,
  shortTradingDay,
  singleLine,
} from './messages/format.ts';
export {
  ALERT_SCHEMA_VERSION,
  alertFromPayload,
  AlertPayloadError,
  parseAlertPayload,
  snapshotFromPayload,
  storedDefaultPayload,
  type AlertPayload,
} from './messages/payload.ts';
export { SMS_MAX_CHARS, smsBody } from './messages/sms.ts';
export {
  alertValueText,
  fillSubjectTemplate,
  RULE_LABELS_KO,
  SUBJECT_MAX_CHARS,
  SUBJECT_TAG,
  subjectSummary,
  subjectTemplateLongest,
} from './messages/subject.ts';
