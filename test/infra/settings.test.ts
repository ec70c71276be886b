import { describe, expect, it } from 'vitest';
import { DeploySettingsError, parseList, parseScanTime, readDeploySettings } from '../../infra/settings.ts';

function contextOf(values: Record<string, unknown>) {
  return { tryGetContext: (key: string) => values[key] };
}

function problemsOf(values: Record<string, unknown>): string[] {
  try {
    readDeploySettings(contextOf(values));
  } catch (error) {
    if (error instanceof DeploySettingsError) return error.problems.map((p) => p.key);
    throw error;
  }
  return [];
}

describe('deploy settings from CDK context', () => {
  it('defaults to a NAT gateway, the 18:30 weekday scan, the live host and critical-only SMS', () => {
    expect(readDeploySettings(contextOf({}))).toEqual({
      egress: 'nat-gateway',
      alertEmails: [],
      alertPhones: [],
      smsSeverities: ['critical'],
      opsEmails: [],
      scanCron: 'cron(30 18 ? * MON-FRI *)',
      kiwoomBaseUrl: 'https://api.kiwoom.com',
      logLevel: 'INFO',
      smsMonthlySpendLimit: 1,
      natInstanceAmi: 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
      projectTag: 'kiwoom-foreign-alerts',
      reuse: {},
    });
  });

  it('accepts emails as a comma-separated string from -c', () => {
    expect(parseList(' a@example.com, b@example.com ')).toEqual(['a@example.com', 'b@example.com']);
  });

  it('accepts emails as a JSON array string from -c', () => {
    expect(parseList('["a@example.com","b@example.com"]')).toEqual(['a@example.com', 'b@example.com']);
  });

  it('accepts a list from cdk.json as an array', () => {
    expect(parseList(['warning', 'critical'])).toEqual(['warning', 'critical']);
  });

  it('normalises phone numbers written with spaces or dashes to E.164', () => {
    expect(readDeploySettings(contextOf({ alertPhones: '+82 10-1234-5678' })).alertPhones).toEqual(['+821012345678']);
  });

  it('rejects a phone number without the country code', () => {
    expect(problemsOf({ alertPhones: '010-1234-5678' })).toEqual(['alertPhones']);
  });

  it('names every bad key at once', () => {
    expect(
      problemsOf({ egress: 'vpn', alertEmails: 'not-an-email', smsSeverities: 'urgent', kiwoomRateLimit: '0' }),
    ).toEqual(['egress', 'alertEmails', 'smsSeverities', 'kiwoomRateLimit']);
  });

  it('rejects a scan cron without a fixed hour, since the token schedule and heartbeat follow it', () => {
    expect(problemsOf({ scanCron: 'cron(0/30 * ? * MON-FRI *)' })).toEqual(['scanCron']);
  });

  it('reads the rate limit as a number', () => {
    expect(readDeploySettings(contextOf({ kiwoomRateLimit: '2.5' })).kiwoomRateLimit).toBe(2.5);
  });
});

describe('scan start time from the cron', () => {
  it('reads 18:30 Monday to Friday', () => {
    expect(parseScanTime('cron(30 18 ? * MON-FRI *)')).toEqual({ hourKst: 18, minute: 30, daysKst: [1, 2, 3, 4, 5] });
  });

  it('reads scheduler day numbers, where 1 is Sunday', () => {
    expect(parseScanTime('cron(0 19 ? * 2-6 *)')?.daysKst).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads a wrapping day range', () => {
    expect(parseScanTime('cron(0 7 ? * SAT-MON *)')?.daysKst).toEqual([1, 6, 7]);
  });
});
