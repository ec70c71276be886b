// Corrections of older days. Kiwoom serves a day wrongly for an evening or
// two (a copy of the day before, or other figures) and then corrects it,
// after later days were already evaluated against the wrong version. One
// clean scan per evening; the oracle judges by the corrected history.
//
// Five codes replay issue 10's cases exactly (days d1…d4, evenings e0…e3):
// - 300001 re-arm: 49% with 0.2pp hysteresis; d2 first 49.05 (alerts), then
//   48.70, which re-arms 49%: d3's 49.30 must alert, d2's alert be corrected.
// - 300002 moved: d2 first arrives as a copy of d1 (48.70); d3 49.20 alerts;
//   d2 is corrected to 49.10: the crossing was announced, nothing more is due.
// - 300003 further threshold: thresholds 99 and 99.5; d2 alerted at 99.20
//   (99%), corrected to 99.60: the 99.5% crossing must be announced.
// - 300004 carried move: 0.3pp move; d2 corrected from 50.20 to 49.90 makes
//   d3's 50.30 a 0.40pp move, which must alert.
// - 300005 withdrawn move: d2 first 50.50 (a 0.40pp move, alerts), then
//   50.15: the alert needs a correction notice.
// - 300006 moved, then undone: d2 first a copy of d1 (48.80), so d3 (first
//   49.20) announces the crossing; d2 corrected to 49.10 moves it there;
//   then d3 is corrected to 48.50, which re-arms 49%: d3's alert needs a
//   notice, d2's crossing an alert of its own, and d4's 49.25 one too.
// Further codes wander at random with seeded wrong versions of their days.
import { measure, type ScenarioFigures } from '../measure.ts';
import type { Seeded } from '../random.ts';
import { chaosCalendar, rowsAtRates, Story, wanderingStory } from '../stories.ts';
import type { ChaosWorld } from '../world.ts';

export interface CorrectionOptions {
  /** Codes with random wrong versions, beside the six fixed cases. */
  randomCodes: number;
  /** Evenings (at least 4: the fixed cases need e0…e3). */
  evenings: number;
}

export async function correction(world: ChaosWorld, random: Seeded, options: CorrectionOptions): Promise<ScenarioFigures> {
  const stage = await world.stage('correction of an older day', random);
  try {
    const evenings = Math.max(4, options.evenings);
    // e0 serves up to d1 (index 2), e1 d2, e2 d3, e3 only corrects; later evenings one new day each.
    const newestAt = [2, 3, 4, 4, ...Array.from({ length: evenings - 4 }, (_, i) => 5 + i)];
    const dts = chaosCalendar((newestAt.at(-1) as number) + 1);
    const stories = [
      ...issueCases(dts, newestAt, random.fork('cases')),
      ...Array.from({ length: options.randomCodes }, (_, i) => randomlyCorrected(String(310_000 + i * 7), dts, newestAt, random.fork(`code-${i}`))),
    ];
    await stage.watch(...stories.map((s) => s.item));
    const notes: string[] = [];
    for (let e = 0; e < evenings; e++) {
      stories.forEach((s) => stage.serve(s.stkCd, s.servedAt(e)));
      if (e === 0) await stage.firstScans();
      else if (!(await stage.settle())) notes.push(`evening ${e}: the scans did not complete`);
    }
    return await measure({ stage, stories, notes });
  } finally {
    await stage.close();
  }
}

/** The fixed cases; rates are basis points for d0 (before the baseline) … d4, then flat. */
function issueCases(dts: string[], newestAt: number[], random: Seeded): Story[] {
  const story = (stkCd: string, item: Record<string, unknown>, ratesBp: number[]) => {
    const flat = Array.from({ length: dts.length - ratesBp.length }, () => ratesBp.at(-1) as number);
    return new Story(stkCd, { stk_cd: stkCd, ...item }, rowsAtRates(stkCd, dts, [...ratesBp, ...flat], random.int(1, 2 ** 31)), newestAt);
  };
  return [
    story('300001', { limit_exh_rt_above: 49, hysteresis_pp: 0.2 }, [4880, 4885, 4890, 4870, 4930]).revisedFigures(3, 4905, 3),
    story('300002', { limit_exh_rt_above: 49 }, [4860, 4860, 4870, 4910, 4920]).staleCopy(3, 3),
    story('300003', { limit_exh_rt_above: [99, 99.5] }, [9870, 9880, 9890, 9960, 9940]).revisedFigures(3, 9920, 3),
    story('300004', { limit_exh_rt_move_pp: 0.3 }, [4990, 5000, 5010, 4990, 5030]).revisedFigures(3, 5020, 3),
    story('300005', { limit_exh_rt_move_pp: 0.3 }, [4990, 5000, 5010, 5015, 5030]).revisedFigures(3, 5050, 3),
    story('300006', { limit_exh_rt_above: 49 }, [4870, 4880, 4910, 4850, 4925]).staleCopy(2, 2).revisedFigures(3, 4920, 3),
  ];
}

/** A wandering code; each evening after the first, a day it serves for the first time may be wrong for 1–2 evenings. */
function randomlyCorrected(stkCd: string, dts: string[], newestAt: number[], random: Seeded): Story {
  const story = wanderingStory(stkCd, dts, newestAt, random);
  const last = newestAt.length - 1;
  for (let e = 1; e < last; e++) {
    const first = (newestAt[e - 1] as number) + 1;
    if (!random.chance(0.6) || first > (newestAt[e] as number)) continue;
    const index = random.int(first, newestAt[e] as number);
    const until = Math.min(last, e + random.int(1, 2));
    if (random.chance(0.4)) story.staleCopy(index, until);
    else story.revisedFigures(index, Number(story.days[index]?.limit_exh_rt.replace('.', '')) + random.pick([-1, 1]) * random.int(10, 40), until);
  }
  return story;
}
