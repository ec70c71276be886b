// Exit codes and option parsing shared by the kfa commands.
import { InvalidArgumentError } from 'commander';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A mistake in how the command was called: exit code 2 with this message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `49,49.5` → [49, 49.5]; rejects anything that is not a plain decimal number. */
export function parseNumberList(raw: string): number[] {
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.length === 0 || parts.some((p) => !/^\d+(\.\d+)?$/.test(p))) {
    throw new InvalidArgumentError(`"${raw}" is not a number or comma-separated list of numbers`);
  }
  return parts.map(Number);
}

export function parseNumber(raw: string): number {
  if (!/^\d+(\.\d+)?$/.test(raw.trim())) throw new InvalidArgumentError(`"${raw}" is not a number`);
  return Number(raw);
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

/** `YYYYMMDD`, checked to be a real calendar day. */
export function parseDay(raw: string): string {
  const s = raw.trim().replaceAll('-', '');
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  const date = m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  if (!m || !date || date.toISOString().slice(0, 10).replaceAll('-', '') !== s) {
    throw new InvalidArgumentError(`"${raw}" is not a day (YYYYMMDD)`);
  }
  return s;
}
