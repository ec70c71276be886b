// From a finished scenario to its figures: what subscribers received (the
// SQS queue on the topic, unwrapped as SNS would), what the ledger still
// holds, the oracle's judgement, and, for every duplicate, the event that
// explains it (an SNS answer that never reached the scan, a kill, a stall
// across a lapsed lease) or the fact that nothing does.
import { resolveWatchSettings } from '../functions/domain/watchlist.ts';
import { parseRow } from '../functions/domain/parse.ts';
import type { ReceivedAlert } from '../local/local-aws.ts';
import type { ProxiedCall } from './fault-proxy.ts';
import { CORRECTION_RULE, judge, type CodeHistory, type Delivery, type Judgement } from './oracle.ts';
import type { Story } from './stories.ts';
import type { Stage } from './world.ts';

export interface FaultCounts {
  dynamoThrottle: number;
  dynamoError: number;
  dynamoLost: number;
  snsThrottle: number;
  snsError: number;
  snsLost: number;
  /** Kiwoom answers the simulator replaced by a fault (5xx, timeout, garbage). */
  kiwoom: number;
}

export interface ScenarioFigures {
  scenario: string;
  runs: number;
  faults: FaultCounts;
  kills: number;
  /** Scans frozen or stalled past their lease while another scan took over. */
  stalls: number;
  expected: number;
  delivered: number;
  lost: number;
  duplicates: number;
  /** At most one duplicate per SNS answer the scan never heard, per kill, per stall. */
  duplicateBound: number;
  correctionNotices: number;
  uncorrected: number;
  announcedTwice: number;
  /** Ledger entries after the final clean run, and how many of them are marked sent. */
  ledgerEntries: number;
  ledgerSent: number;
  /** Ledger entries still to be sent after the final clean run. */
  pending: number;
  /** What a reader needs to act on a failure: which alert, which run, why. */
  notes: string[];
}

/** A scan that was frozen or stalled while another took its lapsed lease over. */
export interface Stall {
  caller: string;
  /** Wall-clock ms the stall ended (the scan resumed). */
  until: number;
}

export interface MeasureInput {
  stage: Stage;
  stories: readonly Story[];
  stalls?: readonly Stall[];
  notes?: string[];
}

export async function measure({ stage, stories, stalls = [], notes = [] }: MeasureInput): Promise<ScenarioFigures> {
  const received = await stage.collect();
  const publishOrder = new Map<string, number>();
  for (const call of stage.policy.calls) if (call.messageId) publishOrder.set(call.messageId, call.seq);
  const deliveries = received.map((r, i) => toDelivery(r, publishOrder.get(r.messageId) ?? 1_000_000 + i));
  const judgement = judge(stories.map(historyOf), deliveries);
  const { entries, unsent } = await stage.ledger();
  const pending = new Map(unsent.map((e) => [e.alertId, e]));
  for (const e of entries) if (e.status === 'pending' || e.status === 'failed') pending.set(e.alertId, e);

  const killed = new Set(stage.runs.filter((r) => r.killed).map((r) => r.caller));
  const publishes = stage.policy.calls.filter((c) => c.publish !== null && c.upstreamStatus === 200);
  const snsAnswersLost = publishes.filter((c) => c.fault === 'lost').length;
  const explanations = explainDuplicates(judgement, publishes, killed, stalls);
  const injected = stage.policy.injected();

  return {
    scenario: stage.name,
    runs: stage.runs.length,
    faults: {
      dynamoThrottle: injected.dynamodb.throttle,
      dynamoError: injected.dynamodb.error,
      dynamoLost: injected.dynamodb.lost,
      snsThrottle: injected.sns.throttle,
      snsError: injected.sns.error,
      snsLost: injected.sns.lost,
      kiwoom: stage.simulator.requests.filter((r) => r.outcome?.fault !== undefined && r.outcome.fault !== 'latency').length,
    },
    kills: killed.size,
    stalls: stalls.length,
    expected: judgement.expected.length,
    delivered: judgement.deliveredAlerts,
    lost: judgement.lost.length,
    duplicates: judgement.duplicates.reduce((n, d) => n + d.copies, 0),
    duplicateBound: snsAnswersLost + killed.size + stalls.length,
    correctionNotices: judgement.correctionNotices,
    uncorrected: judgement.uncorrected.length,
    announcedTwice: judgement.announcedTwice.length,
    ledgerEntries: entries.length,
    ledgerSent: entries.filter((e) => e.status === 'sent').length,
    pending: pending.size,
    notes: [
      ...notes,
      ...judgement.lost.map(({ alert, uncoveredBp }) =>
        `lost: ${alert.alertId}${uncoveredBp.length > 0 ? ` (no standing alert announces ${uncoveredBp.map(pct).join(', ')})` : ''}`),
      ...explanations,
      ...judgement.uncorrected.map((d) => `uncorrected: ${d.alertId} was sent, the final history does not support it, and no correction notice names it`),
      ...judgement.announcedTwice.map((a) => `announced twice: the ${a.alert.dt} crossing of ${a.alert.stkCd} arrived as ${a.alertIds.join(' and ')}`),
      ...[...pending.values()].map((e) => `pending: ${e.alertId} is ${e.status} after the clean run`),
      ...runFailures(stage),
    ],
  };
}

const pct = (bp: number): string => `${(bp / 100).toFixed(2).replace(/\.?0+$/, '')}%`;

/** A story's final history as the oracle reads it: the code's settings and its parsed days. */
function historyOf(story: Story): CodeHistory {
  const resolved = resolveWatchSettings(story.item, undefined);
  if (!resolved.ok) throw new Error(`chaos story ${story.stkCd} has an invalid watchlist item: ${JSON.stringify(resolved.problems)}`);
  return { settings: resolved.settings, days: story.finalHistory().map((row) => parseRow(story.stkCd, row)) };
}

/** A received message as the oracle reads it. */
export function toDelivery(received: ReceivedAlert, order: number): Delivery {
  const payload = (typeof received.default === 'object' && received.default !== null ? received.default : {}) as Record<string, unknown>;
  const text = (value: unknown): string => (typeof value === 'string' ? value : '');
  const rule = received.attributes.rule ?? text(payload.rule);
  const alertId = received.attributes.alert_id ?? text(payload.alert_id);
  const thresholds = Array.isArray(payload.thresholds_crossed)
    ? payload.thresholds_crossed
    : typeof payload.threshold === 'number'
      ? [payload.threshold]
      : [];
  return {
    order,
    alertId,
    stkCd: text(payload.stk_cd) || (received.attributes.stk_cd ?? ''),
    dt: text(payload.dt) || (received.attributes.dt ?? ''),
    rule,
    direction: text(payload.direction) || (received.attributes.direction ?? ''),
    thresholdsBp: thresholds.filter((t): t is number => typeof t === 'number').map((t) => Math.round(t * 100)),
    corrects: rule === CORRECTION_RULE ? correctedAlertId(payload, alertId) : null,
    ...(rule === CORRECTION_RULE ? { withdraws: withdrawnThresholds(payload) } : {}),
    value: typeof payload.value === 'number' ? payload.value : null,
    content: received.raw,
  };
}

/** A partial notice's withdrawn thresholds (basis points); any other notice withdraws the whole alert. */
function withdrawnThresholds(payload: Record<string, unknown>): number[] | 'all' {
  const listed = payload.withdrawn_thresholds;
  if (payload.withdrawn !== 'partial' || !Array.isArray(listed)) return 'all';
  return listed.filter((t): t is number => typeof t === 'number').map((t) => Math.round(t * 100));
}

/** An alert id as the scan writes them (`017670-20250305-limit_exh_rt_cross_up`), perhaps with a suffix. */
const ALERT_ID = /^[0-9A-Z]{6}(?:_NX|_AL)?-\d{8}-[a-z_]+/;

/**
 * The alert_id a correction notice retracts. The issue fixes the notice's
 * rule id, not the field's name, so the well-known names come first, then any
 * field holding another alert's id (one level deep), and last the notice's
 * own alert_id when that is the original's (a notice sent under it).
 */
export function correctedAlertId(payload: Record<string, unknown>, ownId: string): string | null {
  const idIn = (value: unknown): string | null => {
    if (typeof value === 'string' && ALERT_ID.test(value)) return value;
    const nested = typeof value === 'object' && value !== null ? (value as { alert_id?: unknown }).alert_id : undefined;
    return typeof nested === 'string' && ALERT_ID.test(nested) ? nested : null;
  };
  for (const key of ['original_alert_id', 'corrects_alert_id', 'corrected_alert_id', 'corrects', 'retracts', 'original']) {
    const id = idIn(payload[key]);
    if (id !== null) return id;
  }
  for (const value of Object.values(payload)) {
    const id = idIn(value);
    if (id !== null && id !== ownId) return id;
  }
  return ALERT_ID.test(ownId) && !ownId.includes(CORRECTION_RULE) ? ownId : null;
}

/**
 * For each extra copy, the event that made the copy before it be sent again:
 * its answer never reached the scan (an injected loss, a kill or a timeout
 * while SNS had it), its scan was killed before recording it sent, or it was
 * in flight across a stall (published before the stalled scan resumed).
 * Each event may explain one duplicate; a second one from the same event
 * (several publishes in flight at a kill) is reported as excess, and a copy
 * no event explains (a scan publishing after it lost its lease) as such.
 */
function explainDuplicates(
  judgement: Judgement,
  publishes: readonly ProxiedCall[],
  killed: ReadonlySet<string>,
  stalls: readonly Stall[],
): string[] {
  const counts = { answer: 0, kill: 0, stall: 0 };
  const lines: string[] = [];
  const used = new Map<string, number>();
  const causeOf = (before: ProxiedCall, again: ProxiedCall): { key: string; kind: keyof typeof counts; event: string } | null => {
    if (before.fate !== 'answered') return { key: `answer ${before.seq}`, kind: 'answer', event: `${before.caller}'s answer (${before.fate})` };
    if (killed.has(before.caller)) return { key: `kill ${before.caller}`, kind: 'kill', event: `the kill of ${before.caller}` };
    const stall = stalls.find((s) => [before, again].some((c) => c.caller === s.caller && c.arrivedAt <= s.until));
    if (stall) return { key: `stall ${stall.caller}`, kind: 'stall', event: `the stall of ${stall.caller}` };
    return null;
  };
  for (const { alertId } of judgement.duplicates) {
    const byContent = new Map<string, ProxiedCall[]>();
    for (const c of publishes.filter((p) => p.publish?.alertId === alertId)) {
      const key = c.publish?.message ?? '';
      byContent.set(key, [...(byContent.get(key) ?? []), c]);
    }
    for (const group of byContent.values()) {
      for (let i = 1; i < group.length; i++) {
        const before = group[i - 1] as ProxiedCall;
        const again = group[i] as ProxiedCall;
        const cause = causeOf(before, again);
        if (cause === null) {
          const lapsed = stalls.filter((s) => s.caller === again.caller).length > 0;
          lines.push(
            `unexplained duplicate: ${alertId} published by ${before.caller} (answer heard) and again by ${again.caller}` +
              (lapsed ? ` after ${again.caller} had lost its lease` : ''),
          );
          continue;
        }
        const uses = (used.get(cause.key) ?? 0) + 1;
        used.set(cause.key, uses);
        counts[cause.kind] += 1;
        if (uses > 1) lines.push(`excess duplicate: ${alertId} is duplicate number ${uses} from ${cause.event} (several publishes were in flight)`);
      }
    }
  }
  if (counts.answer + counts.kill + counts.stall + lines.length === 0) return [];
  return [
    `duplicates explained: ${counts.answer} by an SNS answer the scan never heard, ${counts.kill} by a kill, ${counts.stall} by a stall across a lapsed lease`,
    ...lines,
  ];
}

function runFailures(stage: Stage): string[] {
  return stage.runs
    .filter((r) => !r.killed && (r.error !== null || (r.report === null && r.exitCode !== 0)))
    .map((r) => `${r.caller} ended with exit ${r.exitCode}${r.error ? `: ${r.error}` : ''}: ${lastLine(r.logTail)}`);
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.slice(0, 300) ?? '';
}
