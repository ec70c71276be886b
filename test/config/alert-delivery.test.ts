import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../functions/config.ts';

describe('ALERT_DELIVERY', () => {
  it('defaults to one message per alert', () => {
    expect(loadConfig({}).alertDelivery).toBe('each');
  });

  it('accepts digest, in any case', () => {
    expect([loadConfig({ ALERT_DELIVERY: 'digest' }).alertDelivery, loadConfig({ ALERT_DELIVERY: ' Digest ' }).alertDelivery]).toEqual([
      'digest',
      'digest',
    ]);
  });

  it('names the variable when the value is neither each nor digest', () => {
    const error = (() => {
      try {
        loadConfig({ ALERT_DELIVERY: 'weekly' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      { variable: 'ALERT_DELIVERY', message: 'must be "each" or "digest", got "weekly"' },
    ]);
  });
});
