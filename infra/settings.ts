// Deployment settings. They live in one file, `deploy-settings.json` at the
// repository root (another with `-c settingsFile=…`), so a plain
// `npx cdk deploy` deploys exactly what the file says; a `-c key=value` on the
// command line overrides one key for one deploy, and the app warns about it.
// Everything is checked here, before any construct is built, and every problem
// is reported by its key at once.
import { readFileSync } from 'node:fs';
import type { Severity } from '../functions/domain/types.ts';

export type EgressMode = 'nat-gateway' | 'nat-instance' | 'none';
export const EGRESS_MODES: readonly EgressMode[] = ['nat-gateway', 'nat-instance', 'none'];
const SEVERITIES: readonly Severity[] = ['critical', 'warning', 'info'];
const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'];

export const DEFAULT_SETTINGS_FILE = 'deploy-settings.json';
export const DEFAULT_SCAN_CRON = 'cron(30 18 ? * MON-FRI *)';
export const DEFAULT_KIWOOM_BASE_URL = 'https://api.kiwoom.com';
export const DEFAULT_PROJECT_TAG = 'kiwoom-foreign-alerts';
/** SNS's default account quota for SMS spend, in USD per month; a higher limit needs a quota increase first. */
export const DEFAULT_SMS_MONTHLY_SPEND_LIMIT = 1;
/**
 * Amazon Linux 2023 arm64, resolved by EC2 when the NAT instance launches:
 * the template holds this constant string, so later deploys never replace the
 * instance because Amazon published a newer image. An `ami-…` id pins it exactly.
 */
export const DEFAULT_NAT_INSTANCE_AMI = 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';

export interface DeploySettings {
  egress: EgressMode;
  alertEmails: string[];
  /** E.164, e.g. +821012345678. */
  alertPhones: string[];
  /** SMS costs money: only these severities reach phones (default critical). */
  smsSeverities: Severity[];
  /** USD per month, the account-wide SNS SMS spend limit (set only when alertPhones is not empty). */
  smsMonthlySpendLimit: number;
  opsEmails: string[];
  /** EventBridge Scheduler cron expression, Asia/Seoul. */
  scanCron: string;
  kiwoomBaseUrl: string;
  /** Unset: functions/config.ts picks 5/s (live host) or 1/s (mock host). */
  kiwoomRateLimit?: number;
  logLevel: string;
  /** `ami-…` or `resolve:ssm:<public parameter>` (resolved once, at launch). */
  natInstanceAmi: string;
  /** Value of the `project` cost-allocation tag on every taggable resource. */
  projectTag: string;
  /** Resources a destroyed deployment retained, to use instead of creating new ones. */
  reuse: ReusedResources;
}

export interface ReusedResources {
  watchlistTableName?: string;
  historyTableName?: string;
  /** The app credentials secret: its name, or its complete ARN. */
  appSecret?: string;
  /** The Elastic IP registered with Kiwoom (`eipalloc-…`), and its address for the output. */
  elasticIpAllocationId?: string;
  elasticIpAddress?: string;
}

/** Every key the settings file may hold (also the `-c` context keys). */
export const SETTING_KEYS = [
  'egress',
  'alertEmails',
  'alertPhones',
  'smsSeverities',
  'smsMonthlySpendLimit',
  'opsEmails',
  'scanCron',
  'kiwoomBaseUrl',
  'kiwoomRateLimit',
  'logLevel',
  'natInstanceAmi',
  'projectTag',
  'watchlistTableName',
  'historyTableName',
  'appSecret',
  'elasticIpAllocationId',
  'elasticIpAddress',
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

export class DeploySettingsError extends Error {
  override readonly name = 'DeploySettingsError';
  constructor(readonly problems: { key: string; message: string }[]) {
    super(`invalid deploy settings: ${problems.map((p) => `${p.key}: ${p.message}`).join('; ')}`);
  }
}

/** What the settings are read from: `app.node`, any construct node, or a merged source. */
export interface ContextSource {
  tryGetContext(key: string): unknown;
}

const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const E164 = /^\+[1-9]\d{7,14}$/;
const AMI = /^ami-[0-9a-f]{8,17}$/;
const SSM_AMI = /^resolve:ssm:\/\S+$/;
const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const SECRET = /^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[\w/+=.@-]+-[A-Za-z0-9]{6}|[\w/+=.@-]{1,512})$/;
const EIP_ALLOCATION = /^eipalloc-[0-9a-f]{8,17}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
// AWS tag values: letters, digits, spaces and + - = . _ : / @, at most 256.
const TAG_VALUE = /^[\p{L}\p{N} +\-=._:/@]{1,256}$/u;

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

  const spendText = text(context.tryGetContext('smsMonthlySpendLimit'));
  const smsMonthlySpendLimit = spendText === undefined ? DEFAULT_SMS_MONTHLY_SPEND_LIMIT : Number(spendText);
  if (!(Number.isInteger(smsMonthlySpendLimit) && smsMonthlySpendLimit >= 0)) {
    problem('smsMonthlySpendLimit', `must be a whole number of US dollars per month (SNS takes no cents), got "${spendText}"`);
  }

  const scanCron = text(context.tryGetContext('scanCron')) ?? DEFAULT_SCAN_CRON;
  if (!/^cron\(\S+( \S+){5}\)$/.test(scanCron)) {
    problem('scanCron', `must be an EventBridge Scheduler cron with six fields, e.g. "${DEFAULT_SCAN_CRON}"`);
  } else if (parseScanTime(scanCron) === undefined) {
    problem('scanCron', 'needs a single minute and hour (e.g. 30 18) so the token schedule can follow it');
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

  const natInstanceAmi = text(context.tryGetContext('natInstanceAmi')) ?? DEFAULT_NAT_INSTANCE_AMI;
  if (!AMI.test(natInstanceAmi) && !SSM_AMI.test(natInstanceAmi)) {
    problem('natInstanceAmi', `must be an AMI id (ami-…) or resolve:ssm:<parameter>, got "${natInstanceAmi}"`);
  }

  const projectTag = text(context.tryGetContext('projectTag')) ?? DEFAULT_PROJECT_TAG;
  if (!TAG_VALUE.test(projectTag)) {
    problem('projectTag', `must be 1-256 letters, digits, spaces or + - = . _ : / @, got "${projectTag}"`);
  }

  const reuse = readReuse(context, problem, egress as EgressMode);

  if (problems.length > 0) throw new DeploySettingsError(problems);
  return {
    egress: egress as EgressMode,
    alertEmails,
    alertPhones,
    smsSeverities,
    smsMonthlySpendLimit,
    opsEmails,
    scanCron,
    kiwoomBaseUrl,
    ...(kiwoomRateLimit === undefined ? {} : { kiwoomRateLimit }),
    logLevel,
    natInstanceAmi,
    projectTag,
    reuse,
  };
}

function readReuse(
  context: ContextSource,
  problem: (key: string, message: string) => void,
  egress: EgressMode,
): ReusedResources {
  const reuse: ReusedResources = {};
  const check = (key: keyof ReusedResources, pattern: RegExp, what: string): void => {
    const value = text(context.tryGetContext(key));
    if (value === undefined) return;
    if (pattern.test(value)) reuse[key] = value;
    else problem(key, `must be ${what}, got "${value}"`);
  };
  check('watchlistTableName', TABLE_NAME, 'a DynamoDB table name');
  check('historyTableName', TABLE_NAME, 'a DynamoDB table name');
  check('appSecret', SECRET, 'a Secrets Manager secret name or its complete ARN');
  check('elasticIpAllocationId', EIP_ALLOCATION, 'an Elastic IP allocation id (eipalloc-…)');
  check('elasticIpAddress', IPV4, 'an IPv4 address');
  if (reuse.elasticIpAddress !== undefined && reuse.elasticIpAllocationId === undefined) {
    problem('elasticIpAddress', 'only means something with elasticIpAllocationId (the allocation of that address)');
  }
  if (reuse.elasticIpAllocationId !== undefined && egress === 'none') {
    problem('elasticIpAllocationId', 'needs egress nat-gateway or nat-instance (egress=none uses no Elastic IP)');
  }
  return reuse;
}

// ── the settings file ────────────────────────────────────────────────────────

/** A context key that differs from the settings file for this deploy only. */
export interface SettingOverride {
  key: SettingKey;
  file: unknown;
  context: unknown;
}

export interface SettingsSources {
  /** Context over file over defaults. */
  source: ContextSource;
  overrides: SettingOverride[];
}

/**
 * The settings file's JSON object, checked for keys it may not hold (a typo
 * such as `alertEmail` would otherwise silently deploy no subscriptions).
 */
export function parseSettingsFile(textContent: string, fileName: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(textContent);
  } catch (error) {
    throw new DeploySettingsError([{ key: fileName, message: `is not valid JSON (${(error as Error).message})` }]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DeploySettingsError([{ key: fileName, message: 'must hold one JSON object of settings' }]);
  }
  const unknown = Object.keys(value).filter((k) => !k.startsWith('//') && !(SETTING_KEYS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw new DeploySettingsError(
      unknown.map((key) => ({ key: `${fileName}: ${key}`, message: `is not a setting; the settings are ${SETTING_KEYS.join(', ')}` })),
    );
  }
  return value as Record<string, unknown>;
}

/** Reads the settings file (missing: every setting at its default). */
export function readSettingsFile(path: string): Record<string, unknown> | undefined {
  let content: string;
  try {
    content = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseSettingsFile(content, path);
}

/** The file's values, with any context value given for a setting key on top. */
export function mergeSettings(file: Record<string, unknown>, context: ContextSource): SettingsSources {
  const overrides: SettingOverride[] = [];
  for (const key of SETTING_KEYS) {
    const given = context.tryGetContext(key);
    if (given === undefined) continue;
    if (JSON.stringify(normalised(key, given)) !== JSON.stringify(normalised(key, file[key]))) {
      overrides.push({ key, file: file[key], context: given });
    }
  }
  return {
    source: {
      tryGetContext: (key: string) => {
        const given = context.tryGetContext(key);
        return given !== undefined ? given : file[key];
      },
    },
    overrides,
  };
}

const LIST_KEYS: readonly SettingKey[] = ['alertEmails', 'alertPhones', 'opsEmails', 'smsSeverities'];

/** Lists compare as lists whichever way they were written (`a,b`, `["a","b"]` or an array). */
function normalised(key: SettingKey, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (LIST_KEYS.includes(key)) {
    try {
      return parseList(value);
    } catch {
      return value;
    }
  }
  return String(value);
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
