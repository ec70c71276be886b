// Alert ids name ledger entries: `kfa alerts resend` takes back any id the
// ledger gives (a rule's alert, a further crossing `…-r1`, a correction
// notice `…-correction-<rule>[-…]`) and finds the entry's key in it.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alertIdOf, alertIdParts, CORRECTION_RULE, RULE_IDS, type LedgerRule } from '../../functions/domain/types.ts';

const stkCd = fc.tuple(fc.stringMatching(/^[0-9A-Z]{6}$/), fc.constantFrom('', '_NX', '_AL')).map(([code, market]) => code + market);
const dt = fc.date({ min: new Date('2000-01-01'), max: new Date('2099-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10).replaceAll('-', ''));
const rule = fc.constantFrom<LedgerRule>(...RULE_IDS, CORRECTION_RULE);
// As the scan names them: `r<n>` for a further crossing; a notice's corrected rule, its variant, and `-<n>` for a later notice.
const variant = fc.oneof(
  fc.constant(undefined),
  fc.integer({ min: 1, max: 99 }).map((n) => `r${n}`),
  fc
    .tuple(fc.constantFrom(...RULE_IDS), fc.option(fc.integer({ min: 1, max: 9 }).map((n) => `r${n}`), { nil: undefined }), fc.option(fc.integer({ min: 2, max: 9 }), { nil: undefined }))
    .map(([r, revealed, later]) => [r, revealed, later].filter((p) => p !== undefined).join('-')),
);

describe('alertIdParts', () => {
  it('is the inverse of alertIdOf for every code, day, rule and variant the ledger uses', () => {
    fc.assert(
      fc.property(stkCd, dt, rule, variant, (s, d, r, v) => {
        expect(alertIdParts(alertIdOf(s, d, r, v))).toEqual({ stkCd: s, dt: d, rule: r, ...(v === undefined ? {} : { variant: v }) });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an unknown rule, a short day, an empty variant and a lower-case code', () => {
    for (const text of ['017670-20250306-nope', '017670-2025036-chg_qty_abs', '017670-20250306-chg_qty_abs-', '0176a0-20250306-chg_qty_abs', '']) {
      expect(alertIdParts(text), text).toBeNull();
    }
  });
});
