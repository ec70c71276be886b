// Stored data printed by kfa is escaped at print time: an item edited in the
// DynamoDB console (never through the schema) or a ledger entry written
// before the schema refused such names cannot clear the operator's terminal,
// write its clipboard (OSC 52) or reorder a line with a bidi override.
import { beforeAll, describe, expect, it } from 'vitest';
import { printable } from '../../cli/print.ts';
import { AlertLedger } from '../../functions/store/alert-ledger.ts';
import { WatchlistStore } from '../../functions/store/watchlist-store.ts';
import { localClients, uniqueTables } from '../support/aws.ts';
import { kfaEnv, spawnKfa, type CliResult } from '../support/cli.ts';
import { CHG, ledgerEntry } from '../support/ledger-fixtures.ts';

/** Clears the screen, writes "hi" to the clipboard, then reverses what follows. */
const HOSTILE = '삼성\u001b[2J\u001b]52;c;aGk=\u0007\u202E전자';

/** Any control or invisible formatting character other than the line breaks kfa writes itself. */
const RAW_CONTROL = /(?!\n)\p{C}/u;

describe('printable', () => {
  it('escapes every \\p{C} character but the newline as \\uXXXX', () => {
    expect(printable(`a\u001b[2Jb\u202Ec\u200Bd\u009Be\tf\r\ng`)).toBe('a\\u001b[2Jb\\u202ec\\u200bd\\u009be\\u0009f\\u000d\ng');
  });

  it('keeps JSON valid and its values the same', () => {
    const value = { name: HOSTILE, list: ['\uD800', 'x\u2066y'] };
    expect(JSON.parse(printable(JSON.stringify(value, null, 2)))).toEqual(value);
  });

  it('escapes a character outside the BMP as its two UTF-16 units', () => {
    expect(printable('\u{F0000}')).toBe('\\udb80\\udc00');
  });
});

describe('kfa output of hostile stored data', () => {
  const results: Record<string, CliResult> = {};

  beforeAll(async () => {
    const tables = await uniqueTables();
    const { doc } = localClients();
    // Written as a console edit would be: straight to the table, past the schema.
    const watchlist = new WatchlistStore(doc, tables.watchlistTable);
    await watchlist.put({ stk_cd: '005930', name: HOSTILE, limit_exh_rt_above: 49 });
    await watchlist.put({ stk_cd: '*', note: `\u001b]0;owned\u0007` });
    await new AlertLedger(doc, tables.historyTable).record(ledgerEntry('005930', '20250304', CHG, HOSTILE));
    const env = kfaEnv({ WATCHLIST_TABLE: tables.watchlistTable, HISTORY_TABLE: tables.historyTable });
    const runs = {
      watchList: ['watch', 'list'],
      watchListJson: ['watch', 'list', '--json'],
      alertsList: ['alerts', 'list'],
      alertsListJson: ['alerts', 'list', '--json'],
      watchAdd: ['watch', 'add', '000660', '--name', HOSTILE],
    };
    await Promise.all(Object.entries(runs).map(async ([key, args]) => (results[key] = await spawnKfa(args, env))));
  });

  it.each(['watchList', 'watchListJson', 'alertsList', 'alertsListJson', 'watchAdd'])('%s prints no raw control character', (key) => {
    const result = results[key] as CliResult;
    expect([RAW_CONTROL.test(result.stdout), RAW_CONTROL.test(result.stderr)]).toEqual([false, false]);
  });

  it('kfa watch list shows the item as invalid, naming name and the characters, escaped', () => {
    const { code, stdout } = results.watchList as CliResult;
    expect(code).toBe(0);
    expect(stdout).toContain('005930   INVALID: watchlist item 005930: name "삼성\\u001b[2J\\u001b]52;c;aGk=\\u0007\\u202e전자" contains U+001B');
    expect(stdout).toContain('defaults: {"note":"\\u001b]0;owned\\u0007"}');
  });

  it('kfa watch list --json is valid JSON holding the stored name exactly', () => {
    const listing = JSON.parse((results.watchListJson as CliResult).stdout) as { items: { item: { name: string } }[] };
    expect(listing.items[0]?.item.name).toBe(HOSTILE);
  });

  it('kfa alerts list escapes the name from the ledger in its table', () => {
    expect((results.alertsList as CliResult).stdout).toContain('삼성\\u001b[2J\\u001b]52;c;aGk=\\u0007\\u202e전자');
  });

  it('kfa alerts list --json is valid JSON holding the ledger name exactly', () => {
    const rows = JSON.parse((results.alertsListJson as CliResult).stdout) as { name: string }[];
    expect(rows.map((r) => r.name)).toEqual([HOSTILE]);
  });

  it('kfa watch add refuses the name with exit 2, naming the attribute', () => {
    const { code, stderr } = results.watchAdd as CliResult;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^kfa: watchlist item 000660: name ".*" contains U\+001B, U\+0007, U\+202E, /);
  });
});
