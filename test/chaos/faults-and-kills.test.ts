// A small seeded run of the fault harness (`npm run chaos` in miniature):
// the real scan, as deployed (the Lambda handler in its own process), against
// DynamoDB Local and fauxqs behind the fault proxy and the Kiwoom simulator.
// Throttling, 500s, lost answers and SIGKILLs at seeded moments over two
// evenings, then a Kiwoom outage; each time followed by clean runs.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runChaos, type ChaosReport } from '../../chaos/harness.ts';
import { localAwsInfo } from '../support/aws.ts';
import { figuresOf, why } from './support.ts';

let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos(localAwsInfo(), {
    ...DEFAULT_OPTIONS,
    seed: 11,
    scenarios: ['storm', 'outage'],
    storm: { kills: 3, codes: 3, evenings: 2, faults: { throttle: 0.05, error: 0.04, lost: 0.05 } },
    outage: { codes: 3, driver: 'lambda', outageRuns: 1, oneCodeFailing: false },
  });
}, 240_000);

const scenario = (name: string) => figuresOf(report, name);

describe('faults and kills', () => {
  it('injects DynamoDB and SNS faults and kills scans at seeded moments', () => {
    const f = scenario('faults and kills');
    const dynamoFaults = f.faults.dynamoThrottle + f.faults.dynamoError + f.faults.dynamoLost;
    expect([f.kills > 0, dynamoFaults > 0, f.expected > 0], why(f)).toEqual([true, true, true]);
  });

  it('loses no alert, and leaves no ledger entry pending after the clean run', () => {
    const f = scenario('faults and kills');
    expect([f.lost, f.pending], why(f)).toEqual([0, 0]);
  });

  it('repeats an alert (same alert_id) at most once per lost SNS answer or kill', () => {
    const f = scenario('faults and kills');
    expect(f.duplicates, why(f)).toBeLessThanOrEqual(f.duplicateBound);
  });
});

describe('a Kiwoom outage', () => {
  it('loses and repeats nothing once Kiwoom is back, and leaves nothing pending', () => {
    const f = scenario('kiwoom outage');
    expect([f.faults.kiwoom > 0, f.lost, f.duplicates, f.pending], why(f)).toEqual([true, 0, 0, 0]);
  });
});
