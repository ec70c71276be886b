// Exit codes and option parsing shared by the kfa commands.
import { InvalidArgumentError } from 'commander';
import { DAY_FORMAT_TEXT, parseDayText } from '../functions/domain/watchlist.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A mistake in how the command was called: exit code 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * A watchlist setting as typed (`49,49.5`, `10,000,000`, `0.3`): kept as
 * text for the watchlist schema, which reads it exactly as it reads a stored
 * item, so the CLI and the table accept the same forms and one message names
 * the attribute. Only an empty value is refused here.
 */
export function parseSettingText(raw: string): string {
  const text = raw.trim();
  if (text === '') throw new InvalidArgumentError('expected a value');
  return text;
}

export function parseCodes(raw: string): string[] {
  const codes = raw
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  if (codes.length === 0) throw new InvalidArgumentError('expected at least one stock code');
  return codes;
}

/** `60s`, `5m`, `1500ms`, `90` (seconds) → milliseconds. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(raw.trim());
  if (!m) throw new InvalidArgumentError(`"${raw}" is not a duration (e.g. 60s, 5m, 1500ms)`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

/** `YYYYMMDD` or `YYYY-MM-DD` → `YYYYMMDD`, a real calendar day; the watchlist schema's reader. */
export function parseDay(raw: string): string {
  const day = parseDayText(raw);
  if (typeof day === 'string') return day;
  throw new InvalidArgumentError(
    day.problem === 'calendar' ? `"${raw}" is not a calendar day` : `"${raw}" is not a day (${DAY_FORMAT_TEXT})`,
  );
}
