import { beforeEach, describe, expect, it } from 'vitest';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { localClients, uniqueTables } from '../support/aws.ts';

let store: WatchlistStore;

beforeEach(async () => {
  const { watchlistTable } = await uniqueTables();
  store = new WatchlistStore(localClients().doc, watchlistTable);
});

describe('WatchlistStore', () => {
  it('returns an item as it was put', async () => {
    const item = { stk_cd: '005930', enabled: true, name: '삼성전자', above_pct: [49, 50.5] };
    await store.put(item);
    expect(await store.get('005930')).toEqual(item);
  });

  it('answers undefined for a code that is not watched', async () => {
    expect(await store.get('000000')).toBeUndefined();
  });

  it('lists every item, the * defaults included', async () => {
    await store.put({ stk_cd: '*', hysteresis_pct: 0.5 });
    await store.put({ stk_cd: '005930', enabled: true });
    await store.put({ stk_cd: '039490_NX', enabled: false });
    const codes = (await store.list()).map((item) => item.stk_cd).sort();
    expect(codes).toEqual(['*', '005930', '039490_NX']);
  });

  it('replaces the whole item on a second put', async () => {
    await store.put({ stk_cd: '005930', enabled: true, name: 'old' });
    await store.put({ stk_cd: '005930', enabled: false });
    expect(await store.get('005930')).toEqual({ stk_cd: '005930', enabled: false });
  });

  it('reports whether remove found something to remove', async () => {
    await store.put({ stk_cd: '005930', enabled: true });
    expect(await store.remove('005930')).toBe(true);
    expect(await store.remove('005930')).toBe(false);
  });
});
