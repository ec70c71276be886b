// Deployment settings from CDK context (`cdk.json` defaults, `-c key=value`
// on the command line). Everything is checked here, before any construct is
// built, and every problem is reported by its context key at once.
import type { Severity } from '../functions/domain/types.ts';

export type EgressMode = 'nat-gateway' | 'nat-instance' | 'none';
export const EGRESS_MODES: readonly EgressMode[] = ['nat-gateway', 'nat-instance', 'none'];
const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

export const DEFAULT_SCAN_CRON = 'cron(30 18 ? * MON-FRI *)';
export const DEFAULT_KIWOOM_BASE_URL = 'https://api.kiwoom.com';

export interface DeploySettings {
  egress: EgressMode;
  alertEmails: string[];
  /** E.164, e.g. +821012345678. */
  alertPhones: string[];
  /** SMS costs money: only these severities reach phones (default critical). */
  smsSeverities: Severity[];
  opsEmails: string[];
  /** EventBridge Scheduler cron expression, Asia/Seoul. */
  scanCron: string;
  kiwoomBaseUrl: string;
  /** Unset: functions/config.ts picks 5/s (live host) or 1/s (mock host). */
  kiwoomRateLimit?: number;
  logLevel: string;
}

export class DeploySettingsError extends Error {
  override readonly name = 'DeploySettingsError';
  constructor(readonly problems: { key: string; message: string }[]) {
    super(`invalid CDK context: ${problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`);
  }
}

/** What the settings are read from: `app.node` or any construct node. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const E164 = /^\+[1-9]\d{7,14}$/;

export function readDeploySettings(context: ContextSource): DeploySettings {
  const problems: { key: string; message: string }[] = [];
  const problem = (key: string, message: string) => problems.push({ key, message });

  const egress = text(context.tryGetContext('egress')) ?? 'nat-gateway';
  if (!EGRESS_MODES.includes(egress as EgressMode)) {
    problem('egress', `must be one of ${EGRESS_MODES.join(', ')}, got "${egress}"`);
  }

  const list = (key: string): string[] => {
    try {
      return parseList(context.tryGetContext(key));
    } catch (error) {
      problem(key, (error as Error).message);
      return [];
    }
  };
  const alertEmails = list('alertEmails');
  const opsEmails = list('opsEmails');
  const alertPhones = list('alertPhones').map((p) => p.replace(/[\s-]/g, ''));
  for (const [key, emails] of [['alertEmails', alertEmails], ['opsEmails', opsEmails]] as const) {
    for (const email of emails) if (!EMAIL.test(email)) problem(key, `"${email}" is not an email address`);
  }
  for (const phone of alertPhones) {
    if (!E164.test(phone)) problem('alertPhones', `"${phone}" is not an E.164 number (e.g. +821012345678)`);
  }

  const severitiesGiven = list('smsSeverities');
  const smsSeverities = (severitiesGiven.length > 0 ? severitiesGiven : ['critical']) as Severity[];
  for (const s of smsSeverities) {
    if (!SEVERITIES.includes(s)) problem('smsSeverities', `"${s}" is not one of ${SEVERITIES.join(', ')}`);
  }

  const scanCron = text(context.tryGetContext('scanCron')) ?? DEFAULT_SCAN_CRON;
  if (!/^cron\(\S+( \S+){5}\)$/.test(scanCron)) {
    problem('scanCron', `must be an EventBridge Scheduler cron with six fields, e.g. "${DEFAULT_SCAN_CRON}"`);
  } else if (parseScanTime(scanCron) === undefined) {
    problem('scanCron', 'needs a single minute and hour (e.g. 30 18) so the token schedule and the heartbeat alarm can follow it');
  }

  const kiwoomBaseUrl = (text(context.tryGetContext('kiwoomBaseUrl')) ?? DEFAULT_KIWOOM_BASE_URL).replace(/\/+$/, '');
  if (!/^https:\/\/[^\s/]+/.test(kiwoomBaseUrl)) problem('kiwoomBaseUrl', `must be an https URL, got "${kiwoomBaseUrl}"`);

  const rateText = text(context.tryGetContext('kiwoomRateLimit'));
  const kiwoomRateLimit = rateText === undefined ? undefined : Number(rateText);
  if (kiwoomRateLimit !== undefined && !(Number.isFinite(kiwoomRateLimit) && kiwoomRateLimit > 0)) {
    problem('kiwoomRateLimit', `must be a positive number of requests per second, got "${rateText}"`);
  }

  const logLevel = (text(context.tryGetContext('logLevel')) ?? 'INFO').toUpperCase();
  if (!LOG_LEVELS.includes(logLevel)) problem('logLevel', `must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  if (problems.length > 0) throw new DeploySettingsError(problems);
  return {
    egress: egress as EgressMode,
    alertEmails,
    alertPhones,
    smsSeverities,
    opsEmails,
    scanCron,
    kiwoomBaseUrl,
    ...(kiwoomRateLimit === undefined ? {} : { kiwoomRateLimit }),
    logLevel,
  };
}

/**
 * A list from context: an array (cdk.json), a JSON array string, or a
 * comma-separated string (`-c alertEmails=a@x.kr,b@y.kr`).
 */
export function parseList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  let items: unknown = value;
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed.startsWith('[')) {
      try {
        items = JSON.parse(trimmed);
      } catch {
        throw new Error(`is not a valid JSON array: ${trimmed}`);
      }
    } else {
      items = trimmed === '' ? [] : trimmed.split(',');
    }
  }
  if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) {
    throw new Error('must be a list of strings (a JSON array or comma-separated)');
  }
  return (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

/** When the scan starts, in Korea Standard Time, and on which days. */
export interface ScanTime {
  hourKst: number;
  minute: number;
  /** Days as CloudWatch's DAY() numbers them: 1 = Monday … 7 = Sunday (KST). */
  daysKst: number[];
}

const DAY_NAMES = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];

/** The start time of a scheduler cron `cron(min hour dom month dow year)` with a fixed minute and hour. */
export function parseScanTime(cron: string): ScanTime | undefined {
  const fields = /^cron\((.+)\)$/.exec(cron)?.[1]?.split(' ');
  if (fields?.length !== 6) return undefined;
  const [minute, hour, , , dow] = fields as [string, string, string, string, string, string];
  if (!/^\d{1,2}$/.test(minute) || !/^\d{1,2}$/.test(hour)) return undefined;
  const m = Number(minute);
  const h = Number(hour);
  if (m > 59 || h > 23) return undefined;
  const days = parseDays(dow);
  if (days === undefined) return undefined;
  return { hourKst: h, minute: m, daysKst: days };
}

function parseDays(dow: string): number[] | undefined {
  if (dow === '?' || dow === '*') return [1, 2, 3, 4, 5, 6, 7];
  const days = new Set<number>();
  // Scheduler numbers days 1 = Sunday … 7 = Saturday; names are unambiguous.
  const dayOf = (token: string): number | undefined => {
    const byName = DAY_NAMES.indexOf(token.toUpperCase());
    if (byName >= 0) return byName + 1;
    if (/^[1-7]$/.test(token)) return ((Number(token) + 5) % 7) + 1;
    return undefined;
  };
  for (const part of dow.split(',')) {
    const [from, to] = part.split('-');
    const a = from === undefined ? undefined : dayOf(from);
    const b = to === undefined ? a : dayOf(to);
    if (a === undefined || b === undefined) return undefined;
    for (let d = a; ; d = (d % 7) + 1) {
      days.add(d);
      if (d === b) break;
    }
  }
  return [...days].sort((x, y) => x - y);
}
