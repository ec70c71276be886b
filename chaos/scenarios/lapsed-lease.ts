// Two scans across a lapsed lease (SCAN_LEASE_TTL_SECONDS=2). Scan A works
// through an evening on which one of three codes has two alerts; one step of
// A stalls; once A's lease could have lapsed, scan B starts and runs to the
// end; then A resumes and finishes; then clean runs. Each alert must arrive
// once, apart from the one message that was in flight across the stall.
// (One alerting code: its alerts are published one after the other, so at
// most one message is in flight when A stalls.)
//
// How A stalls (one column each in the table):
// - kiwoom-latency: the simulator's latency fault holds one code's ka10008
//   answer for longer than the lease;
// - slow-sns-answer: SNS takes A's first alert but its answer is held (the
//   scan's own process keeps running: a lease renewed on a timer survives);
// - frozen: A's whole process group is stopped (SIGSTOP) at its first
//   publish, as a paused Lambda is: no timer fires, so the lease lapses and
//   only fencing can keep A from publishing what B already sent.
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallHooks, HookVerdict } from '../fault-proxy.ts';
import { measure, type ScenarioFigures } from '../measure.ts';
import type { Seeded } from '../random.ts';
import type { ScanProcess } from '../scan-process.ts';
import { chaosCalendar, rowsAtRates, Story } from '../stories.ts';
import type { ChaosWorld, RunRecord, Stage } from '../world.ts';

export type StallKind = 'kiwoom-latency' | 'slow-sns-answer' | 'frozen';
export const STALL_KINDS: readonly StallKind[] = ['kiwoom-latency', 'slow-sns-answer', 'frozen'];

/** Scans B tries before giving up on taking over (the lease is renewed while A works, or A finished). */
const TAKEOVER_ATTEMPTS = 4;

export async function lapsedLease(world: ChaosWorld, random: Seeded, kind: StallKind): Promise<ScenarioFigures> {
  const stage = await world.stage(`lapsed lease, ${kind}`, random, { leaseTtlSeconds: 2 });
  try {
    const stories = await eveningWithAlerts(stage, random);
    const a = stage.prepare();
    const stall = new Stall();
    // Long enough for every takeover attempt and B's whole run; the fault cannot wait for the harness.
    const latencyMs = 6 * stage.leaseTtlMs + 4_000;
    if (kind === 'kiwoom-latency') {
      stage.simulator.inject({ kind: 'latency', ms: latencyMs, stkCd: ALERTING_CODE, count: 1 });
      watchKiwoomStall(stage, ALERTING_CODE, stall);
    }
    const aRun = (await stage.start(a, { hooks: stallHooks(kind, stall, random) })).done;
    const { tookOver, note } = await overlap(stage, a, aRun, stall);
    const notes = [note];
    if (!(await stage.settle())) notes.push('the clean runs at the end did not complete');
    const until = kind === 'kiwoom-latency' ? stall.startedAt + latencyMs : stall.releasedAt;
    return await measure({ stage, stories, stalls: tookOver ? [{ caller: a.caller, until }] : [], notes });
  } finally {
    await stage.close();
  }
}

/** The codes' first scans (evening 0), then evening 1 served: the evening scan A and B will fight over. */
async function eveningWithAlerts(stage: Stage, random: Seeded): Promise<Story[]> {
  const stories = oneCodeTwoAlerts(chaosCalendar(5), random);
  await stage.watch(...stories.map((s) => s.item));
  stories.forEach((s) => stage.serve(s.stkCd, s.servedAt(0)));
  await stage.firstScans();
  stories.forEach((s) => stage.serve(s.stkCd, s.servedAt(1)));
  return stories;
}

/**
 * Once A stalls and its lease could have lapsed, B runs (and runs again while
 * it finds the lease held); then A is let go and finishes.
 */
async function overlap(stage: Stage, a: ScanProcess, aRun: Promise<RunRecord>, stall: Stall): Promise<{ tookOver: boolean; note: string }> {
  let aFinished = false;
  void aRun.then(() => (aFinished = true));
  const stalled = await Promise.race([stall.started.then(() => true), aRun.then(() => false)]);
  if (!stalled) {
    stall.release();
    await aRun;
    return { tookOver: false, note: `${a.caller} finished before it stalled: nothing overlapped` };
  }
  // The lease was taken (or last renewed) before the stall began.
  await sleep(stage.leaseTtlMs + 500);
  const b = await takeOver(stage, () => aFinished);
  stall.release();
  const tookOver = b.report !== null && !b.report.leaseHeld;
  return { tookOver, note: overlapNote(b, await aRun) };
}

const ALERTING_CODE = '400001';

/**
 * Three codes; on evening 1 the first crosses 49% up with enough net buying
 * for a chg_qty alert (two alerts), the others stay quiet.
 */
function oneCodeTwoAlerts(dts: string[], random: Seeded): Story[] {
  return [ALERTING_CODE, '400002', '400003'].map(
    (stkCd) =>
      new Story(
        stkCd,
        { stk_cd: stkCd, limit_exh_rt_above: 49, chg_qty_abs: 100_000 },
        rowsAtRates(stkCd, dts, [4880, 4885, 4890, 4895, stkCd === ALERTING_CODE ? 4915 : 4896], random.int(1, 2 ** 31)),
        [3, 4],
      ),
  );
}

/** A step held until the harness lets it go. */
class Stall {
  readonly started: Promise<void>;
  readonly released: Promise<void>;
  startedAt = 0;
  releasedAt = 0;
  #start!: () => void;
  #release!: () => void;

  constructor() {
    this.started = new Promise((resolve) => (this.#start = resolve));
    this.released = new Promise((resolve) => (this.#release = resolve));
  }

  begin(): void {
    this.startedAt ||= Date.now();
    this.#start();
  }

  release(): void {
    this.releasedAt ||= Date.now();
    this.#release();
  }
}

function stallHooks(kind: StallKind, stall: Stall, random: Seeded): ((scan: ScanProcess) => CallHooks) | undefined {
  if (kind === 'kiwoom-latency') return undefined;
  const phase = kind === 'slow-sns-answer' ? 'before-answer' : random.pick(['before-forward', 'before-answer'] as const);
  return (scan) => {
    let held = false;
    const hold = async (): Promise<HookVerdict> => {
      held = true;
      if (kind === 'frozen') scan.freeze();
      stall.begin();
      await stall.released;
      if (kind === 'frozen') scan.thaw();
      return 'continue';
    };
    const first = (operation: string) => !held && operation === 'Publish';
    return phase === 'before-forward'
      ? { beforeForward: (call) => (first(call.operation) ? hold() : 'continue') }
      : { beforeAnswer: (call) => (first(call.operation) ? hold() : 'continue') };
  };
}

/** The latency fault holds A's first ka10008 call for the code: the stall begins when it arrives. */
function watchKiwoomStall(stage: Stage, stkCd: string, stall: Stall): void {
  const seen = stage.simulator.requests.length;
  const timer = setInterval(() => {
    const arrived = stage.simulator.requests
      .slice(seen)
      .some((r) => r.apiId === 'ka10008' && (r.body as { stk_cd?: unknown } | null)?.stk_cd === stkCd);
    if (arrived) {
      clearInterval(timer);
      stall.begin();
    }
  }, 20);
  void stall.released.then(() => clearInterval(timer));
}

/**
 * Scan B, started again while it finds the lease held (A may have renewed it
 * just before the stall) until it takes over, A finishes, or the attempts run out.
 */
async function takeOver(stage: Stage, aFinished: () => boolean): Promise<RunRecord> {
  for (let attempt = 1; ; attempt++) {
    const run = await (await stage.start(stage.prepare())).done;
    if (!run.report?.leaseHeld || aFinished() || attempt >= TAKEOVER_ATTEMPTS) return run;
    await sleep(stage.leaseTtlMs / 2);
  }
}

function overlapNote(b: RunRecord, a: RunRecord): string {
  const took = b.report?.leaseHeld ? 'found the lease held and did nothing' : 'took the lapsed lease and ran';
  const ended = a.error
    ? `failed (${a.error}), exit ${a.exitCode}`
    : a.report?.stopped
      ? `stopped (${a.report.stopped}), exit ${a.exitCode}`
      : `finished, exit ${a.exitCode}`;
  return `${b.caller} ${took}; ${a.caller} then ${ended}`;
}
