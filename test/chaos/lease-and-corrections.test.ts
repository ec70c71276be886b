// A small seeded run of the fault harness on the two cases issue 10 names
// beside faults and kills: two scans across a lapsed lease (the first scan's
// process frozen at its first publish, SCAN_LEASE_TTL_SECONDS=2, the second
// takes over), and corrections of older days (issue 10's five cases, a moved crossing undone, and one
// code corrected at random), judged against the corrected history.
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runChaos, type ChaosReport } from '../../chaos/harness.ts';
import { localAwsInfo } from '../support/aws.ts';
import { figuresOf, why } from './support.ts';

let report: ChaosReport;

beforeAll(async () => {
  report = await runChaos(localAwsInfo(), {
    ...DEFAULT_OPTIONS,
    seed: 11,
    scenarios: ['lease', 'correction'],
    lease: { stalls: ['frozen'] },
    correction: { randomCodes: 1, evenings: 4 },
  });
}, 240_000);

const scenario = (name: string) => figuresOf(report, name);

describe('two scans across a lapsed lease', () => {
  it('lets a second scan take over while the first is frozen', () => {
    const f = scenario('lapsed lease, frozen');
    expect([f.stalls, f.expected], why(f)).toEqual([1, 2]);
  });

  it('delivers each alert, repeating at most the one message in flight across the stall', () => {
    const f = scenario('lapsed lease, frozen');
    expect([f.lost, f.pending, f.duplicates <= f.duplicateBound], why(f)).toEqual([0, 0, true]);
  });
});

describe('corrections of older days', () => {
  it('sends every alert the corrected history calls for', () => {
    const f = scenario('correction of an older day');
    expect(f.lost, why(f)).toBe(0);
  });

  it('corrects every alert the corrected history no longer supports, and announces no crossing twice', () => {
    const f = scenario('correction of an older day');
    expect([f.uncorrected, f.announcedTwice], why(f)).toEqual([0, 0]);
  });

  it('repeats nothing and leaves nothing pending', () => {
    const f = scenario('correction of an older day');
    expect([f.duplicates, f.pending], why(f)).toEqual([0, 0]);
  });
});
