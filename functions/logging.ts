// Adapts Powertools' Logger to the narrow logging interface the domain
// adapters take (message + one structured object), so they stay testable
// with a plain capturing logger.
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Log } from './scan/ports.ts';

export function fromPowertools(logger: Logger): Log {
  const extra = (value?: object) => (value ? [value as Record<string, unknown>] : []);
  return {
    debug: (message, value) => logger.debug(message, ...extra(value)),
    info: (message, value) => logger.info(message, ...extra(value)),
    warn: (message, value) => logger.warn(message, ...extra(value)),
    error: (message, value) => logger.error(message, ...extra(value)),
  };
}
