// Every kfa command that needs AWS checks its settings before anything else:
// driven in-process through the same commander program bin/kfa.js runs, with
// the region and credentials taken away. Nothing can reach AWS: the one
// endpoint left points at loopback's discard port, and the check refuses
// before any client is built.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../functions/config.ts';

const HOME = mkdtempSync(join(tmpdir(), 'kfa-no-aws-'));

const AWS_COMMANDS: Record<string, string[]> = {
  'tables create': ['tables', 'create'],
  'watch add': ['watch', 'add', '005930', '--above', '49'],
  'watch defaults': ['watch', 'defaults', '--hysteresis-pp', '0.2'],
  'watch list': ['watch', 'list'],
  'watch snooze': ['watch', 'snooze', '005930', '--until', '20261231'],
  'watch unsnooze': ['watch', 'unsnooze', '005930'],
  'watch remove': ['watch', 'remove', '005930'],
  'alerts list': ['alerts', 'list'],
  'alerts resend': ['alerts', 'resend', '005930-20250304-chg_qty_abs'],
  'scan --dry-run': ['scan', '--dry-run'],
  replay: ['replay', '005930'],
  backfill: ['backfill'],
  status: ['status'],
  report: ['report', '--html', join(HOME, 'report.html')],
};

const UNSET = [
  'AWS_REGION',
  'AWS_PROFILE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_SNS',
  'AWS_ENDPOINT_URL_SQS',
];

beforeEach(() => {
  for (const name of UNSET) vi.stubEnv(name, undefined);
  vi.stubEnv('HOME', HOME);
  vi.stubEnv('AWS_CONFIG_FILE', join(HOME, 'none', 'config'));
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', join(HOME, 'none', 'credentials'));
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:9');
  vi.stubEnv('KIWOOM_APPKEY', 'app');
  vi.stubEnv('KIWOOM_SECRETKEY', 'secret');
  vi.stubEnv('KIWOOM_BASE_URL', 'http://127.0.0.1:9');
  // Each command runs in a fresh module graph: the CLI keeps one context per process.
  vi.resetModules();
});

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The error `kfa <args>` ends with. */
async function errorOf(args: string[]): Promise<unknown> {
  const { createProgram } = await import('../../cli/main.ts');
  const program = createProgram().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  return program.parseAsync(['node', 'kfa', ...args]).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('every command that needs AWS', () => {
  it.each(Object.keys(AWS_COMMANDS))('kfa %s refuses a missing region by name, with a hint, as a configuration error', async (name) => {
    const error = await errorOf(AWS_COMMANDS[name] as string[]);
    // The module graph was reset: compare by name, not by class identity.
    expect((error as Error).name).toBe(ConfigError.name);
    expect((error as ConfigError).problems).toEqual([
      { variable: 'AWS_REGION', message: expect.stringContaining('(hint: export AWS_REGION=ap-northeast-2') },
    ]);
  });

  it('turns the configuration error into exit code 2', async () => {
    const { exitCodeFor } = await import('../../cli/main.ts');
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(exitCodeFor(await errorOf(['watch', 'list']))).toBe(2);
      expect(String(stderr.mock.calls[0]?.[0])).toMatch(/^kfa: configuration error: AWS_REGION: /);
    } finally {
      stderr.mockRestore();
    }
  });
});
