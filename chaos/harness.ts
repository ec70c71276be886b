// The fault harness: every scenario, in order, against the given local AWS
// parts, from one seed. `npm run chaos` (chaos/run.ts) and the seeded run in
// the test suite (test/chaos) both call this.
import type { LocalAwsInfo } from '../local/local-aws.ts';
import type { ScenarioFigures } from './measure.ts';
import { Seeded } from './random.ts';
import { failures } from './report.ts';
import { correction, type CorrectionOptions } from './scenarios/correction.ts';
import { lapsedLease, type StallKind } from './scenarios/lapsed-lease.ts';
import { outage, type OutageOptions } from './scenarios/outage.ts';
import { storm, type StormOptions } from './scenarios/storm.ts';
import { ChaosWorld } from './world.ts';

export const SCENARIOS = ['storm', 'lease', 'outage', 'correction'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ChaosOptions {
  seed: number;
  scenarios: readonly ScenarioName[];
  /** Faults and kills: kills in all, codes, evenings after the first, fault rates per DynamoDB/SNS call. */
  storm: StormOptions;
  /** Two scans across a lapsed lease: one scenario column per way of stalling. */
  lease: { stalls: readonly StallKind[] };
  outage: OutageOptions;
  correction: CorrectionOptions;
}

export const DEFAULT_OPTIONS: ChaosOptions = {
  seed: 1,
  scenarios: SCENARIOS,
  storm: { kills: 24, codes: 6, evenings: 6, faults: { throttle: 0.04, error: 0.03, lost: 0.03 } },
  lease: { stalls: ['kiwoom-latency', 'slow-sns-answer', 'frozen'] },
  outage: { codes: 5, driver: 'cli' },
  correction: { randomCodes: 3, evenings: 6 },
};

export interface ChaosReport {
  seed: number;
  figures: ScenarioFigures[];
  passed: boolean;
}

export async function runChaos(
  aws: LocalAwsInfo,
  options: ChaosOptions,
  log: { progress: (line: string) => void; run?: (line: string) => void } = { progress: () => undefined },
): Promise<ChaosReport> {
  const world = await ChaosWorld.start(aws, log.run);
  const root = new Seeded(options.seed);
  const figures: ScenarioFigures[] = [];
  const keep = (f: ScenarioFigures) => {
    figures.push(f);
    const broken = failures(f);
    log.progress(`${f.scenario}: ${broken.length === 0 ? 'PASS' : `FAIL (${broken.join('; ')})`}`);
  };
  try {
    for (const name of options.scenarios) {
      const random = root.fork(name);
      log.progress(`${name}…`);
      if (name === 'storm') keep(await storm(world, random, options.storm));
      if (name === 'lease') for (const kind of options.lease.stalls) keep(await lapsedLease(world, random.fork(kind), kind));
      if (name === 'outage') keep(await outage(world, random, options.outage));
      if (name === 'correction') keep(await correction(world, random, options.correction));
    }
  } finally {
    await world.close();
  }
  return { seed: options.seed, figures, passed: figures.every((f) => failures(f).length === 0) };
}
