// kfa without its AWS settings, as a user runs it (every other command is
// covered in-process by every-command.test.ts): the missing region or
// credentials named with a hint, exit 2, before any AWS call. No AWS host can
// be reached from here: the endpoints stay on loopback or point at a name
// under .invalid (RFC 6761: never resolves), and kfaEnv disables the instance
// metadata lookup. Each spawn costs a second or two of tsx start-up, so the
// commands run once, in parallel.
import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa, type CliResult } from '../support/cli.ts';

/** A home with no ~/.aws, so the developer's own profile never answers for the test. */
const HOME = mkdtempSync(join(tmpdir(), 'kfa-no-aws-'));
const NO_SHARED_FILES = { HOME, AWS_CONFIG_FILE: join(HOME, 'none', 'config'), AWS_SHARED_CREDENTIALS_FILE: join(HOME, 'none', 'credentials') };

let noRegion: CliResult;
let noCredentials: CliResult;
let scanWithNothing: CliResult;
let localStack: CliResult;
let version: CliResult;

beforeAll(async () => {
  const tables = await uniqueTables();
  await new WatchlistStore(localClients().doc, tables.watchlistTable).put({ stk_cd: '005930', limit_exh_rt_above: 49 });
  [noRegion, noCredentials, scanWithNothing, localStack, version] = await Promise.all([
    spawnKfa(['watch', 'list'], kfaEnv({ ...NO_SHARED_FILES, AWS_REGION: undefined })),
    spawnKfa(
      ['alerts', 'list'],
      kfaEnv({
        ...NO_SHARED_FILES,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_ENDPOINT_URL_DYNAMODB: 'http://kfa-test.invalid',
        AWS_ENDPOINT_URL_SNS: undefined,
        AWS_ENDPOINT_URL_SQS: undefined,
      }),
    ),
    spawnKfa(['scan'], kfaEnv({ ...NO_SHARED_FILES, AWS_REGION: undefined })),
    spawnKfa(
      ['watch', 'list'],
      kfaEnv({ ...NO_SHARED_FILES, WATCHLIST_TABLE: tables.watchlistTable, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    ),
    spawnKfa(['--version'], kfaEnv({ ...NO_SHARED_FILES })),
  ]);
});

describe('a missing region', () => {
  it('makes kfa watch list exit 2 naming AWS_REGION with a hint, not the SDK\'s "Region is missing"', () => {
    expect([noRegion.code, noRegion.stdout]).toEqual([2, '']);
    expect(noRegion.stderr).toBe(
      'kfa: configuration error: AWS_REGION: is not set, and the AWS profile "default" names no region ' +
        '(hint: export AWS_REGION=ap-northeast-2 (Seoul), or run "aws configure set region ap-northeast-2")\n',
    );
  });

  it('is reported together with the missing Kiwoom settings of a scan', () => {
    expect(scanWithNothing.code).toBe(2);
    expect(['AWS_REGION', 'KIWOOM_APPKEY', 'KIWOOM_SECRETKEY', 'ALERT_TOPIC_ARN'].filter((v) => !scanWithNothing.stderr.includes(v))).toEqual([]);
  });
});

describe('missing credentials', () => {
  it('exit 2 naming AWS_ACCESS_KEY_ID with a hint, before any call', () => {
    expect(noCredentials.code).toBe(2);
    expect(noCredentials.stderr).toContain('AWS_ACCESS_KEY_ID: no AWS credentials');
    expect(noCredentials.stderr).toContain('(hint: run "aws configure"');
    expect(noCredentials.stderr).not.toMatch(/kfa-test\.invalid|ENOTFOUND|Could not load credentials/);
  });

  it('are not needed for a local stack: every endpoint on loopback signs with dummy ones', () => {
    expect([localStack.code, localStack.stderr, localStack.stdout]).toEqual([0, '', expect.stringContaining('005930')]);
  });
});

describe('kfa --version', () => {
  it("prints the package's version and exits 0", async () => {
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect([version.code, version.stdout]).toEqual([0, `${pkg.version}\n`]);
  });
});
