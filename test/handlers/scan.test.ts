// The scan handler's answer to Step Functions, against the real lease,
// history and ledger in DynamoDB Local. What a retry of the first slice sees
// (the run id comes from the execution, so it is the same lease holder), and
// that the answer stays small whatever the run reports (Step Functions refuses
// more than 256 KB and the Catch does not take States.DataLimitExceeded).
import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  // The module wires itself once at import, as a cold start does; these tests call run() directly.
  process.env.KIWOOM_APPKEY = 'handler-test-appkey';
  process.env.KIWOOM_SECRETKEY = 'handler-test-secretkey';
  process.env.ALERT_TOPIC_ARN = 'arn:aws:sns:ap-northeast-2:000000000000:handler-test';
  process.env.AWS_REGION = 'ap-northeast-2';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.LOG_LEVEL = 'SILENT';
});

import { loadConfig } from '../../functions/config.ts';
import { LOG_CHUNK, run, type ScanResult } from '../../functions/handlers/scan.ts';
import { BadCredentialsError, TransientError } from '../../functions/kiwoom/errors.ts';
import type { Ka10008Source } from '../../functions/kiwoom/types.ts';
import type { Log, ScanDeps } from '../../functions/scan/ports.ts';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { DynamoLease } from '../../functions/store/lease.ts';
import type { TableNames } from '../../functions/store/tables.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

const config = loadConfig({ KIWOOM_APPKEY: 'k', KIWOOM_SECRETKEY: 's', SCAN_LEASE_TTL_SECONDS: '120' });
const NOW = new Date('2025-03-10T09:30:00Z'); // 18:30 KST
const STEP_FUNCTIONS_PAYLOAD_LIMIT = 256 * 1024;
// The handler's metrics go nowhere here; what it returns and logs is under test.
const noMetrics = { addMetric: vi.fn() } as unknown as Parameters<typeof run>[2];

let tables: TableNames;
beforeAll(async () => {
  tables = await uniqueTables();
});

/** Kiwoom as it answers during an outage: every code fails with a transient error. */
function kiwoomDown(): Ka10008Source {
  return {
    // eslint-disable-next-line require-yield
    async *ka10008Pages(stkCd: string) {
      throw new TransientError('HTTP 503 Service Unavailable', { stkCd, apiId: 'ka10008', httpStatus: 503 });
    },
  };
}

function kiwoomRefusingTheKey(): Ka10008Source {
  return {
    // eslint-disable-next-line require-yield
    async *ka10008Pages(stkCd: string) {
      throw new BadCredentialsError({ stkCd, apiId: 'ka10008', detailCode: 8001 });
    },
  };
}

function recordingLog(): Log & { lines: { message: string; extra?: object }[] } {
  const lines: { message: string; extra?: object }[] = [];
  const keep = (message: string, extra?: object) => void lines.push({ message, ...(extra === undefined ? {} : { extra }) });
  return { lines, debug: keep, info: keep, warn: keep, error: keep };
}

function codes(count: number): string[] {
  return Array.from({ length: count }, (_, i) => String(100000 + i));
}

/**
 * A history with nothing stored and a ledger with nothing unsent, for the
 * 5,000-code run: it is about the answer's size, and 5,000 DynamoDB Local
 * round trips would take half a minute of a shared CI machine.
 */
function emptyStores(): Pick<ScanDeps, 'history' | 'ledger'> {
  const unexpected = async (): Promise<never> => {
    throw new Error('a run in which every code fails writes no snapshot and no alert');
  };
  return {
    history: {
      recentSnapshots: async () => [],
      codeStates: async () => new Map(),
      putSnapshots: unexpected,
      putCodeState: unexpected,
      saveCode: unexpected,
      // Failed attempts are remembered (they order the next run), nothing else.
      recordFailure: async () => undefined,
      codeFailures: async () => new Map(),
    },
    ledger: {
      unsent: async () => [],
      record: unexpected,
      recordSuppressed: unexpected,
      markSent: unexpected,
      markFailed: unexpected,
      claim: unexpected,
      suppress: unexpected,
      withdraw: unexpected,
      list: unexpected,
    },
  };
}

function deps(options: {
  codes: string[];
  kiwoom: Ka10008Source;
  leaseScope: string;
  logger?: Log;
  stores?: Pick<ScanDeps, 'history' | 'ledger'>;
}): ScanDeps {
  const doc = localClients().doc;
  return {
    kiwoom: options.kiwoom,
    watchlist: { list: async () => options.codes.map((stk_cd) => ({ stk_cd, limit_exh_rt_above: 49 })) },
    history: options.stores?.history ?? new HistoryStore(doc, tables.historyTable),
    ledger: options.stores?.ledger ?? new AlertLedger(doc, tables.historyTable, { now: () => NOW }),
    lease: new DynamoLease(doc, tables.historyTable, options.leaseScope),
    publisher: { publish: async () => ({ messageId: 'unused' }) },
    logger: options.logger ?? recordingLog(),
    now: () => NOW,
    remainingMs: () => 14 * 60_000,
  };
}

describe('the scan handler’s answer', () => {
  it('stays far below 256 KB when 5,000 codes fail, and carries counts and the run id', async () => {
    const logger = recordingLog();
    const all = codes(5_000);

    const outage = deps({ codes: all, kiwoom: kiwoomDown(), leaseScope: 'outage', logger, stores: emptyStores() });
    const result = await run(outage, config, noMetrics, {
      run_id: 'exec-outage',
      run_started_at: NOW.toISOString(),
    });

    const size = Buffer.byteLength(JSON.stringify(result), 'utf8');
    expect(size).toBeLessThan(STEP_FUNCTIONS_PAYLOAD_LIMIT / 64);
    // Kiwoom down for everyone: the circuit breaker stops the run (issue 10), so the state machine fails it.
    expect(result).toMatchObject({ run_id: 'exec-outage', done: true, outcome: 'stopped' });
    expect(result.summary.codes_total).toBe(5_000);
    expect(result.summary.codes_failed + result.summary.codes_not_reached).toBe(5_000);
    for (const value of Object.values(result.summary)) expect(Array.isArray(value)).toBe(false);
  });

  it('puts every failed code in the log, in parts that stay small', async () => {
    const logger = recordingLog();
    const all = codes(450);

    const outage = deps({ codes: all, kiwoom: kiwoomDown(), leaseScope: 'outage-log', logger, stores: emptyStores() });
    const result = await run(outage, config, noMetrics, { run_id: 'exec-outage-log' });

    const parts = logger.lines.filter((l) => l.message === 'scan codes failed' || l.message === 'scan codes not reached');
    const logged = parts.flatMap((l) => {
      const extra = l.extra as { codes_failed?: { stk_cd: string }[]; codes_not_reached?: string[] };
      return [...(extra.codes_failed ?? []).map((f) => f.stk_cd), ...(extra.codes_not_reached ?? [])];
    });
    expect(logged.sort()).toEqual(all);
    expect(logger.lines.filter((l) => l.message === 'scan codes failed')).toHaveLength(
      Math.ceil(result.summary.codes_failed / LOG_CHUNK),
    );
    for (const part of parts) expect(JSON.stringify(part.extra).length).toBeLessThan(64 * 1024);
  });
});

describe('what a retried slice sees', () => {
  it('resumes the run when a retry of the first slice brings the same run id as the crashed slice', async () => {
    const scope = 'retry-same-run';
    const crashed = deps({ codes: codes(3), kiwoom: kiwoomDown(), leaseScope: scope });
    // The first slice took the lease and died (a Lambda timeout runs no finally): the lease is still its own.
    await crashed.lease.acquire('exec-2025-03-10', config.leaseTtlMs, NOW);

    const retry: ScanResult = await run(crashed, config, noMetrics, { run_id: 'exec-2025-03-10', run_started_at: NOW.toISOString() });

    expect(retry.outcome).not.toBe('lease_held');
    expect(retry.summary.lease_held).toBeNull();
    expect(retry.run_id).toBe('exec-2025-03-10');
    expect(retry.summary.codes_failed + retry.summary.codes_scanned).toBe(3);
  });

  it('reports lease_held, not a finished run, when a retry comes without the run id (what {} gave)', async () => {
    const scope = 'retry-new-run';
    const crashed = deps({ codes: codes(3), kiwoom: kiwoomDown(), leaseScope: scope });
    await crashed.lease.acquire('exec-2025-03-10', config.leaseTtlMs, NOW);

    const retry = await run(crashed, config, noMetrics, {});

    expect(retry).toMatchObject({ done: true, outcome: 'lease_held' });
    expect(retry.summary.lease_held).toMatchObject({ holder: 'exec-2025-03-10' });
  });

  it('answers stopped when Kiwoom refuses the key, so the state machine fails the run', async () => {
    const result = await run(
      deps({ codes: codes(3), kiwoom: kiwoomRefusingTheKey(), leaseScope: 'refused' }),
      config,
      noMetrics,
      { run_id: 'exec-refused' },
    );

    expect(result).toMatchObject({ done: true, outcome: 'stopped' });
    expect(result.summary.stopped?.reason).toMatch(/\S/);
  });
});
