// A Kiwoom outage: on an evening with alerts due, every ka10008 call fails
// (seeded 5xx, dropped connections, gateway pages) for two runs (by
// default); then one code alone keeps failing for a run; then Kiwoom recovers and clean runs
// finish the evening. Nothing may be lost or doubled, and the table's notes
// show what each outage run cost in Kiwoom calls (issue 10: at most 20 a run).
import type { Fault } from '../../local/kiwoom-simulator/faults.ts';
import { measure, type ScenarioFigures } from '../measure.ts';
import type { Seeded } from '../random.ts';
import type { ScanDriver } from '../scan-process.ts';
import { chaosCalendar, wanderingStory } from '../stories.ts';
import type { ChaosWorld, RunRecord, Stage } from '../world.ts';

export interface OutageOptions {
  codes: number;
  /** `cli` runs `kfa scan` as a user would; `lambda` the deployed handler. */
  driver: ScanDriver;
  /** Runs while every ka10008 call fails (default 2). */
  outageRuns?: number;
  /** Then a run while one code alone fails (default true). */
  oneCodeFailing?: boolean;
}

/** More than any run can use: each outage run meets a fault on every ka10008 call. */
const OUTAGE_FAULTS = 400;

export async function outage(world: ChaosWorld, random: Seeded, options: OutageOptions): Promise<ScenarioFigures> {
  const stage = await world.stage('kiwoom outage', random, { driver: options.driver });
  try {
    const newestAt = [5, 7];
    const dts = chaosCalendar(8);
    const stories = Array.from({ length: options.codes }, (_, i) =>
      wanderingStory(String(500_000 + i * 13), dts, newestAt, random.fork(`code-${i}`)),
    );
    await stage.watch(...stories.map((s) => s.item));
    stories.forEach((s) => stage.serve(s.stkCd, s.servedAt(0)));
    await stage.firstScans();
    stories.forEach((s) => stage.serve(s.stkCd, s.servedAt(1)));

    const notes: string[] = [];
    const faults = random.fork('outage');
    for (let n = 1; n <= (options.outageRuns ?? 2); n++) {
      for (let i = 0; i < OUTAGE_FAULTS; i++) stage.simulator.inject({ ...outageFault(faults), count: 1 });
      notes.push(await costOf(stage, `total outage, run ${n}`));
      stage.simulator.clearFaults();
    }
    if (options.oneCodeFailing ?? true) {
      const broken = faults.pick(stories).stkCd;
      stage.simulator.inject({ kind: 'http500', stkCd: broken });
      notes.push(await costOf(stage, `only ${broken} failing`));
      stage.simulator.clearFaults();
    }

    const settled = await stage.settle();
    if (!settled) notes.push('the clean runs after the outage did not complete');
    return await measure({ stage, stories, notes });
  } finally {
    await stage.close();
  }
}

function outageFault(random: Seeded): Fault {
  const draw = random.real();
  if (draw < 0.5) return { kind: 'http500' };
  if (draw < 0.75) return { kind: 'garbage', form: random.pick(['html', 'text', 'truncated'] as const), httpStatus: random.pick([200, 502]) };
  return { kind: 'timeout', holdMs: 150, afterHold: 'drop' };
}

/** Runs one scan and says what it cost: ka10008 calls, exit code, how it stopped. */
async function costOf(stage: Stage, label: string): Promise<string> {
  const before = stage.simulator.requests.length;
  const run: RunRecord = await stage.run();
  const calls = stage.simulator.requests.slice(before).filter((r) => r.apiId === 'ka10008').length;
  const how = run.report?.stopped ? `stopped: ${run.report.stopped}` : `${run.report?.codesFailed ?? '?'} codes failed`;
  return `${label}: ${calls} ka10008 calls, exit ${run.exitCode}, ${how}`;
}
