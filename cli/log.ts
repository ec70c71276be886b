// The CLI's logger: plain lines on stderr (stdout carries results). Info and
// debug only with --verbose; the scan's per-code progress has its own lines.
import type { Log } from '../functions/scan/ports.ts';
import { say } from './print.ts';

export function stderrLogger(verbose: boolean): Log {
  const line = (level: string, message: string, extra?: object): void => {
    const detail = extra && Object.keys(extra).length > 0 ? ` ${JSON.stringify(extra)}` : '';
    say(`${level} ${message}${detail}`);
  };
  return {
    debug: (m, e) => verbose && line('debug', m, e),
    info: (m, e) => verbose && line('info', m, e),
    warn: (m, e) => line('warn', m, e),
    error: (m, e) => line('error', m, e),
  };
}
