// The synthesized scan state machine, executed (test/infra/asl.ts) with its
// slices answered by the real scan handler against DynamoDB Local: what a
// retry sees after a crashed slice, and which state every ending reaches.
import { beforeAll, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  // The handler module wires itself once at import; these tests call run() with their own deps.
  process.env.KIWOOM_APPKEY = 'loop-test-appkey';
  process.env.KIWOOM_SECRETKEY = 'loop-test-secretkey';
  process.env.ALERT_TOPIC_ARN = 'arn:aws:sns:ap-northeast-2:000000000000:loop-test';
  process.env.AWS_REGION = 'ap-northeast-2';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.LOG_LEVEL = 'SILENT';
});

import type { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../functions/config.ts';
import { run, type ScanResult } from '../../functions/handlers/scan.ts';
import { BadCredentialsError } from '../../functions/kiwoom/errors.ts';
import type { Ka10008Source } from '../../functions/kiwoom/types.ts';
import type { ScanDeps } from '../../functions/scan/ports.ts';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { HistoryStore } from '../../functions/store/history-store.ts';
import { DynamoLease } from '../../functions/store/lease.ts';
import type { TableNames } from '../../functions/store/tables.ts';
import { MAX_SCAN_ITERATIONS } from '../../infra/constructs/scan.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { execute, StatesError, type Definition, type TaskHandler } from './asl.ts';
import { buildStack, resourceOf } from './synth.ts';

const config = loadConfig({ KIWOOM_APPKEY: 'k', KIWOOM_SECRETKEY: 's' });
const NOW = new Date('2025-03-10T09:30:00Z');
/** A fresh execution per test: codes a run finished are skipped by that run's later slices. */
function execution(name: string) {
  return { name: `${name}-6f1c2d7e`, startTime: NOW.toISOString() };
}
const metrics = { addMetric: vi.fn() } as unknown as Parameters<typeof run>[2];

let definition: Definition;
let tables: TableNames;

function definitionOf(template: Template): Definition {
  const sm = resourceOf(template, 'AWS::StepFunctions::StateMachine', 'ScanStateMachine');
  const parts = (sm.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('')) as Definition;
}

beforeAll(async () => {
  definition = definitionOf(buildStack({ egress: 'none' }).template);
  tables = await uniqueTables();
});

/** Kiwoom with no rows for any code: each code is scanned and nothing is alerted. */
const quietKiwoom: Ka10008Source = {
  // eslint-disable-next-line require-yield
  async *ka10008Pages() {
    return;
  },
};

function deps(leaseScope: string, kiwoom: Ka10008Source = quietKiwoom, remainingMs: () => number = () => 14 * 60_000): ScanDeps {
  const doc = localClients().doc;
  return {
    kiwoom,
    watchlist: { list: async () => ['005930', '017670', '035420'].map((stk_cd) => ({ stk_cd, limit_exh_rt_above: 49 })) },
    history: new HistoryStore(doc, tables.historyTable),
    ledger: new AlertLedger(doc, tables.historyTable, { now: () => NOW }),
    lease: new DynamoLease(doc, tables.historyTable, leaseScope),
    publisher: { publish: async () => ({ messageId: 'unused' }) },
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    now: () => NOW,
    remainingMs,
  };
}

/** Slices answered by the scan handler; the dead-letter queue records what it is sent. */
function slices(answer: (input: unknown, attempt: number) => Promise<unknown>) {
  const inputs: unknown[] = [];
  const deadLetters: unknown[] = [];
  const handler: TaskHandler = async (state, input, attempt) => {
    if (state === 'ScanSlice') {
      inputs.push(input);
      return answer(input, attempt);
    }
    if (state === 'RecordFailedRun') {
      deadLetters.push(input);
      return {};
    }
    throw new Error(`unexpected task ${state}`);
  };
  return { handler, inputs, deadLetters };
}

describe('the scan state machine, executed', () => {
  it('resumes the run when the first slice crashed holding the lease: the retry is the same holder', async () => {
    const EXECUTION = execution('crash');
    const scan = deps('crash-first-slice');
    const loop = slices(async (input, attempt) => {
      if (attempt === 1) {
        // The slice took the lease, then its Lambda timed out: no finally ran, the lease is still held.
        await scan.lease.acquire((input as { run_id: string }).run_id, config.leaseTtlMs, NOW);
        throw new StatesError('Sandbox.Timedout', 'Task timed out after 900.00 seconds');
      }
      return run(scan, config, metrics, input);
    });

    const result = await execute(definition, {}, EXECUTION, loop.handler);

    expect(loop.inputs).toEqual([
      { run_id: EXECUTION.name, run_started_at: EXECUTION.startTime },
      { run_id: EXECUTION.name, run_started_at: EXECUTION.startTime },
    ]);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toMatchObject({ run_id: EXECUTION.name, outcome: 'finished', summary: { codes_scanned: 3, lease_held: null } });
  });

  it('carries the run id from slice to slice when time runs short', async () => {
    // Each slice has time for one code only: Kiwoom's first answer in a slice uses it up.
    let callsThisSlice = 0;
    const counting: Ka10008Source = {
      // eslint-disable-next-line require-yield
      async *ka10008Pages() {
        callsThisSlice += 1;
      },
    };
    const scan = deps('two-slices', counting, () => (callsThisSlice === 0 ? 14 * 60_000 : 0));
    const loop = slices(async (input) => {
      callsThisSlice = 0;
      return run(scan, config, metrics, input);
    });

    const result = await execute(definition, {}, execution('slices'), loop.handler);

    expect(loop.inputs.length).toBeGreaterThan(1);
    expect(new Set(loop.inputs.map((i) => (i as { run_id: string }).run_id))).toEqual(new Set([execution('slices').name]));
    expect(result.status).toBe('SUCCEEDED');
  });

  it('fails the execution, naming the holder, when another scan holds the lease', async () => {
    const scan = deps('held-by-another');
    await scan.lease.acquire('manual-run-at-18-29', config.leaseTtlMs, NOW);
    const loop = slices(async (input) => run(scan, config, metrics, input));

    const result = await execute(definition, {}, execution('held'), loop.handler);

    expect(result).toMatchObject({ status: 'FAILED', error: 'ScanLeaseHeld' });
    expect(result.cause).toContain('manual-run-at-18-29');
    expect(loop.deadLetters).toHaveLength(1);
    expect(result.path.at(-1)).toBe('RunFailed');
  });

  it('fails the execution, saying why, when the scan stops (Kiwoom refuses the key)', async () => {
    const refusing: Ka10008Source = {
      // eslint-disable-next-line require-yield
      async *ka10008Pages(stkCd: string) {
        throw new BadCredentialsError({ stkCd, apiId: 'ka10008', detailCode: 8001 });
      },
    };
    const scan = deps('stopped', refusing);
    const loop = slices(async (input) => run(scan, config, metrics, input));

    const result = await execute(definition, {}, execution('stopped'), loop.handler);

    expect(result).toMatchObject({ status: 'FAILED', error: 'ScanStopped' });
    expect(result.cause).toMatch(/the scan stopped: .+/);
    expect(loop.deadLetters).toEqual([expect.objectContaining({ MessageBody: expect.objectContaining({ error: expect.objectContaining({ Error: 'ScanStopped' }) }) })]);
  });

  it('fails with the Lambda’s own error after the retries, and records the run', async () => {
    const loop = slices(async () => {
      throw new StatesError('Lambda.Unknown', 'The function crashed');
    });

    const result = await execute(definition, {}, execution('crashing'), loop.handler);

    expect(result).toMatchObject({ status: 'FAILED', error: 'Lambda.Unknown', cause: 'The function crashed' });
    expect(loop.inputs.length).toBe(3); // the first attempt and two retries of States.ALL
    expect(loop.deadLetters).toHaveLength(1);
  });

  it('fails through the loop guard when no slice ever says finished', async () => {
    const loop = slices(async (input) => ({ ...(input as object), done: false, outcome: 'time_up' satisfies ScanResult['outcome'], summary: {} }));

    const result = await execute(definition, {}, execution('endless'), loop.handler);

    expect(result).toMatchObject({ status: 'FAILED', error: 'LoopGuard' });
    expect(loop.inputs).toHaveLength(MAX_SCAN_ITERATIONS);
  });
});
