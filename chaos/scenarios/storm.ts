// Faults and kills: evening after evening of new trading days for a handful
// of codes, each evening scanned by runs that DynamoDB throttles, fails and
// answers into the void, and that are SIGKILLed at seeded moments (at an
// exact DynamoDB/SNS call, before it is forwarded, after it was served but
// before the scan heard, or just after; or at a time into the run), then one
// faulted run left alone; at the end, clean runs until one completes.
import type { FaultRates } from '../fault-proxy.ts';
import { measure, type ScenarioFigures } from '../measure.ts';
import type { Seeded } from '../random.ts';
import { chaosCalendar, eveningSchedule, wanderingStory } from '../stories.ts';
import type { ChaosWorld, KillPlan, RunRecord, Stage } from '../world.ts';

export interface StormOptions {
  codes: number;
  /** Evenings after the first (the first only gives each code its first scan). */
  evenings: number;
  kills: number;
  faults: FaultRates;
}

export async function storm(world: ChaosWorld, random: Seeded, options: StormOptions): Promise<ScenarioFigures> {
  const stage = await world.stage('faults and kills', random);
  try {
    const newestAt = eveningSchedule(5, options.evenings + 1, random.fork('schedule'));
    const dts = chaosCalendar((newestAt.at(-1) as number) + 1);
    const stories = Array.from({ length: options.codes }, (_, i) =>
      wanderingStory(String(200_000 + i * 11), dts, newestAt, random.fork(`code-${i}`)),
    );
    await stage.watch(...stories.map((s) => s.item));
    const serve = (e: number) => stories.forEach((s) => stage.serve(s.stkCd, s.servedAt(e)));

    serve(0);
    let estimate = estimateOf(stage, await stage.firstScans());
    const plans = random.fork('kills');
    for (let e = 1; e <= options.evenings; e++) {
      serve(e);
      const kills = Math.floor((options.kills * e) / options.evenings) - Math.floor((options.kills * (e - 1)) / options.evenings);
      // A kill moment drawn past the end of a run misses; draw again (at most twice as many runs).
      for (let done = 0, tries = 0; done < kills && tries < 2 * kills; tries++) {
        const run = await stage.run({ faults: options.faults, kill: killPlan(plans, estimate) });
        if (!run.killed) continue;
        done += 1;
        await stage.untilLeaseLapses();
      }
      estimate = estimateOf(stage, await stage.run({ faults: options.faults }), estimate);
    }
    const settled = await stage.settle();
    return await measure({ stage, stories, notes: settled ? [] : ['the clean runs at the end did not complete'] });
  } finally {
    await stage.close();
  }
}

interface Estimate {
  calls: number;
  ms: number;
}

/** How many DynamoDB/SNS calls and how long an uninterrupted run takes: the range kill moments are drawn from. */
function estimateOf(stage: Stage, run: RunRecord, previous: Estimate = { calls: 20, ms: 500 }): Estimate {
  if (run.killed) return previous;
  return {
    calls: Math.max(1, stage.policy.callsOf(run.caller).length),
    ms: Math.max(50, run.finishedAt - run.startedAt),
  };
}

function killPlan(random: Seeded, estimate: Estimate): KillPlan {
  if (random.chance(0.25)) return { trigger: 'timer', afterMs: random.int(0, estimate.ms) };
  return {
    trigger: 'call',
    index: random.int(1, estimate.calls),
    phase: random.pick(['before-forward', 'before-answer', 'after-answer'] as const),
    delayMs: random.int(0, 30),
  };
}
