// One table of figures, a column per scenario and a total, and the verdict:
// the run fails when an alert was lost, an entry is left pending after the
// clean runs, duplicates exceed their bound (one per SNS answer the scan
// never heard, per kill, per stall across a lapsed lease), a withdrawn
// crossing went uncorrected, or a crossing was announced twice.
import type { FaultCounts, ScenarioFigures } from './measure.ts';

interface Row {
  label: string;
  value: (f: ScenarioFigures) => string | number;
  /** Summed into the total column (default true). */
  additive?: boolean;
}

const fault = (key: keyof FaultCounts) => (f: ScenarioFigures) => f.faults[key];

const ROWS: Row[] = [
  { label: 'scan runs', value: (f) => f.runs },
  { label: 'faults: DynamoDB throttled', value: fault('dynamoThrottle') },
  { label: 'faults: DynamoDB 500', value: fault('dynamoError') },
  { label: 'faults: DynamoDB answer lost', value: fault('dynamoLost') },
  { label: 'faults: SNS throttled', value: fault('snsThrottle') },
  { label: 'faults: SNS 500', value: fault('snsError') },
  { label: 'faults: SNS answer lost', value: fault('snsLost') },
  { label: 'faults: Kiwoom 5xx/timeout/garbage', value: fault('kiwoom') },
  { label: 'kills (SIGKILL, process group)', value: (f) => f.kills },
  { label: 'stalls across a lapsed lease', value: (f) => f.stalls },
  { label: 'alerts expected', value: (f) => f.expected },
  { label: 'alerts delivered (distinct alert_id)', value: (f) => f.delivered },
  { label: 'lost (must be 0)', value: (f) => f.lost },
  { label: 'duplicates, same alert_id', value: (f) => f.duplicates },
  { label: '  bound (lost SNS answers+kills+stalls)', value: (f) => f.duplicateBound },
  { label: 'correction notices', value: (f) => f.correctionNotices },
  { label: 'uncorrected withdrawn alerts (must be 0)', value: (f) => f.uncorrected },
  { label: 'crossings announced twice (must be 0)', value: (f) => f.announcedTwice },
  { label: 'ledger entries after the clean run', value: (f) => f.ledgerEntries },
  { label: '  of which sent', value: (f) => f.ledgerSent },
  { label: 'pending after clean run (must be 0)', value: (f) => f.pending },
];

/** What failed, one line per broken invariant; empty when the scenario holds. */
export function failures(f: ScenarioFigures): string[] {
  const out: string[] = [];
  if (f.lost > 0) out.push(`${f.lost} alert(s) lost`);
  if (f.pending > 0) out.push(`${f.pending} ledger entr(ies) pending after the clean run`);
  if (f.duplicates > f.duplicateBound) out.push(`${f.duplicates} duplicate(s), bound ${f.duplicateBound}`);
  if (f.uncorrected > 0) out.push(`${f.uncorrected} withdrawn alert(s) without a correction notice`);
  if (f.announcedTwice > 0) out.push(`${f.announcedTwice} crossing(s) announced twice`);
  return out;
}

export function formatTable(figures: readonly ScenarioFigures[]): string {
  const columns = [...figures.map((f) => f.scenario), 'total'];
  const cells = ROWS.map((row) => {
    const values = figures.map((f) => row.value(f));
    const total = values.every((v) => typeof v === 'number') ? values.reduce<number>((sum, v) => sum + Number(v), 0) : '';
    return [row.label, ...values.map(String), String(total)];
  });
  const verdicts = ['verdict', ...figures.map((f) => (failures(f).length === 0 ? 'PASS' : 'FAIL')), figures.some((f) => failures(f).length > 0) ? 'FAIL' : 'PASS'];
  const header = ['', ...columns];
  const widths = header.map((_, i) => Math.max(...[header, ...cells, verdicts].map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...cells.map(line), rule, line(verdicts)].join('\n');
}

/** The notes of each scenario that has any: what a reader needs to act on a FAIL. */
export function formatNotes(figures: readonly ScenarioFigures[]): string {
  return figures
    .filter((f) => f.notes.length > 0)
    .map((f) => [`${f.scenario}${failures(f).length > 0 ? ` — FAIL: ${failures(f).join('; ')}` : ''}`, ...f.notes.map((n) => `  ${n}`)].join('\n'))
    .join('\n');
}
