// When the History table can answer a replay alone, and how far back to page when it cannot.
import { describe, expect, it } from 'vitest';
import {
  coversEnd,
  coversStart,
  coversWindow,
  fetchStopDt,
  mergeRanges,
  type CachedRange,
} from '../../functions/replay/coverage.ts';
import { eveningOf } from './support.ts';

const CUTOFF = '18:00';

function range(overrides: Partial<CachedRange> = {}): CachedRange {
  return {
    fromDt: '20250102',
    toDt: '20250630',
    listingStart: false,
    newestAt: eveningOf('20250630').toISOString(),
    ...overrides,
  };
}

describe('coversStart', () => {
  it('needs a stored day before --from, the baseline of its first day', () => {
    expect(coversStart(range({ fromDt: '20250102' }), '20250103')).toBe(true);
    expect(coversStart(range({ fromDt: '20250102' }), '20250102')).toBe(false);
  });

  it('is satisfied by the listing’s first day when nothing older exists', () => {
    expect(coversStart(range({ fromDt: '20250102', listingStart: true }), '20241201')).toBe(true);
  });
});

describe('coversEnd', () => {
  it('covers an explicit --to inside the range whatever the time', () => {
    expect(coversEnd(range({ newestAt: null }), '20250620', eveningOf('20250801'), CUTOFF)).toBe(true);
  });

  it('covers "up to the newest day" the same evening it was confirmed', () => {
    expect(coversEnd(range(), null, eveningOf('20250630', '22:00'), CUTOFF)).toBe(true);
  });

  it('stops covering once the next weekday’s row is final', () => {
    // 2025-07-01 is a Tuesday: final from 18:00 KST.
    expect(coversEnd(range(), null, eveningOf('20250701', '17:59'), CUTOFF)).toBe(true);
    expect(coversEnd(range(), null, eveningOf('20250701', '18:00'), CUTOFF)).toBe(false);
  });

  it('is not fooled by a weekend: Friday’s range still covers on Sunday', () => {
    const friday = range({ toDt: '20250627', newestAt: eveningOf('20250627').toISOString() });
    expect(coversEnd(friday, null, eveningOf('20250629'), CUTOFF)).toBe(true);
  });

  it('trusts a missing weekday as a holiday only when confirmed on a later day', () => {
    // Friday 2025-06-06 (Memorial Day) has no row; the range ends on Thursday.
    const sameEvening = range({ toDt: '20250605', newestAt: eveningOf('20250606', '19:00').toISOString() });
    const nextDay = range({ toDt: '20250605', newestAt: eveningOf('20250607', '09:00').toISOString() });
    const sunday = eveningOf('20250608');
    expect(coversEnd(sameEvening, null, sunday, CUTOFF)).toBe(false);
    expect(coversEnd(nextDay, null, sunday, CUTOFF)).toBe(true);
  });

  it('never covers past a range that stops short of the newest day', () => {
    expect(coversEnd(range({ newestAt: null }), null, eveningOf('20250630', '22:00'), CUTOFF)).toBe(false);
  });

  it('treats a --to beyond the range like "up to the newest day"', () => {
    expect(coversEnd(range(), '20251231', eveningOf('20250630', '22:00'), CUTOFF)).toBe(true);
  });
});

describe('coversWindow', () => {
  it('needs a cached range at all', () => {
    expect(coversWindow(null, { fromDt: '20250301', toDt: null }, eveningOf('20250630'), CUTOFF)).toBe(false);
  });
});

describe('fetchStopDt', () => {
  it('pages back to the day before --from when nothing is cached', () => {
    expect(fetchStopDt(null, { fromDt: '20250301', toDt: null })).toBe('20250228');
  });

  it('pages back only to the cached range’s newest day when its start is already cached', () => {
    expect(fetchStopDt(range({ toDt: '20250620' }), { fromDt: '20250301', toDt: null })).toBe('20250620');
  });

  it('pages back to --from when the cached range starts too late', () => {
    expect(fetchStopDt(range({ fromDt: '20250401' }), { fromDt: '20250301', toDt: null })).toBe('20250228');
  });
});

describe('mergeRanges', () => {
  it('joins a fresh run that overlaps the cached range', () => {
    const fresh = range({ fromDt: '20250610', toDt: '20250707', newestAt: 'later' });
    expect(mergeRanges(range({ listingStart: true }), fresh)).toEqual({
      fromDt: '20250102',
      toDt: '20250707',
      listingStart: true,
      newestAt: 'later',
    });
  });

  it('replaces a cached range the fresh run does not touch', () => {
    const fresh = range({ fromDt: '20250801', toDt: '20250901' });
    expect(mergeRanges(range(), fresh)).toEqual(fresh);
  });

  it('keeps the confirmation of a newest day when a capped run ends on the same day', () => {
    const capped = range({ fromDt: '20240102', newestAt: null });
    expect(mergeRanges(range(), capped).newestAt).toBe(range().newestAt);
  });
});
