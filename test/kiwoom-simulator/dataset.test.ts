import { describe, expect, it } from 'vitest';
import { formatKiwoomRate, ratioBp, syntheticHistory } from '../../local/kiwoom-simulator/dataset.ts';

function signed(text: string): number {
  return Number(text);
}

function unsignedPrice(text: string): number {
  return Number(text.replace(/^[+-]/, ''));
}

describe('syntheticHistory', () => {
  it('gives the same rows for the same seed and options', () => {
    const options = { days: 30, lastDt: '20241105', seed: 7 };

    expect(syntheticHistory('005930', options)).toEqual(syntheticHistory('005930', options));
  });

  it('gives different rows for different seeds', () => {
    const a = syntheticHistory('005930', { days: 30, lastDt: '20241105', seed: 1 });
    const b = syntheticHistory('005930', { days: 30, lastDt: '20241105', seed: 2 });

    expect(a).not.toEqual(b);
  });

  it('lists weekdays newest first, skipping weekends and the given holidays', () => {
    const history = syntheticHistory('005930', { days: 5, lastDt: '20241010', holidays: ['20241009', '20241003'] });

    expect(history.map((r) => r.dt)).toEqual(['20241010', '20241008', '20241007', '20241004', '20241002']);
  });

  it('starts at the trading day before a weekend lastDt', () => {
    const history = syntheticHistory('005930', { days: 1, lastDt: '20241103' });

    expect(history[0]?.dt).toBe('20241101');
  });

  it('makes chg_qty the change of poss_stkcnt from the previous trading day', () => {
    const history = syntheticHistory('005930', { days: 60, lastDt: '20241105', seed: 3 });

    for (let i = 0; i < history.length - 1; i += 1) {
      const today = history[i]!;
      const previous = history[i + 1]!;
      expect(signed(today.chg_qty)).toBe(Number(today.poss_stkcnt) - Number(previous.poss_stkcnt));
    }
  });

  it('keeps gain_pos_stkcnt, limit_exh_rt and the price direction consistent with the holdings', () => {
    const history = syntheticHistory('005930', { days: 60, lastDt: '20241105', seed: 4 });

    for (let i = 0; i < history.length - 1; i += 1) {
      const today = history[i]!;
      const previous = history[i + 1]!;
      expect(Number(today.gain_pos_stkcnt)).toBe(Number(today.frgnr_limit) - Number(today.poss_stkcnt));
      expect(today.limit_exh_rt).toBe(formatKiwoomRate(ratioBp(Number(today.poss_stkcnt), Number(today.frgnr_limit))));
      expect(signed(today.pred_pre)).toBe(unsignedPrice(today.close_pric) - unsignedPrice(previous.close_pric));
      expect(today.close_pric.startsWith('-')).toBe(signed(today.pred_pre) < 0);
    }
  });

  it('writes every value as a Kiwoom-style string, zero unsigned', () => {
    const history = syntheticHistory('005930', { days: 200, lastDt: '20241105', seed: 5 });

    for (const r of history) {
      for (const value of Object.values(r)) expect(value).toMatch(/^([+-]?[1-9]\d*|0|[+-]?\d+\.\d{2})$/);
    }
  });

  it('starts near the requested exhaustion rate', () => {
    const history = syntheticHistory('017670', { days: 1, lastDt: '20241105', startRateBp: 4_900, maxDailyMoveBp: 0 });

    expect(history[0]?.limit_exh_rt).toBe('+49.00');
  });

  it('shows a change of the foreign limit on its day in frgnr_limit_irds', () => {
    const history = syntheticHistory('003490', {
      days: 3,
      lastDt: '20241105',
      frgnrLimit: 1_000_000,
      limitChanges: { '20241104': 1_200_000 },
    });

    expect(history.map((r) => [r.dt, r.frgnr_limit, r.frgnr_limit_irds])).toEqual([
      ['20241105', '1200000', '0'],
      ['20241104', '1200000', '+200000'],
      ['20241101', '1000000', '0'],
    ]);
  });
});

describe('formatKiwoomRate', () => {
  it.each([
    [2610, '+26.10'],
    [-5, '-0.05'],
    [0, '0.00'],
    [10_000, '+100.00'],
  ])('writes %i basis points as %s', (bp, text) => {
    expect(formatKiwoomRate(bp)).toBe(text);
  });
});

describe('ratioBp', () => {
  it('rounds to the nearest basis point as the specification example shows', () => {
    expect(ratioBp(6_651_461, 25_526_706)).toBe(2606);
    expect(ratioBp(6_645_843, 25_526_706)).toBe(2603);
  });
});
