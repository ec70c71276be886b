// The report page as a browser would parse it: self-contained, one chart per
// code with its thresholds and one marker per alert, the alert history, and
// stored text that stays text.
import { beforeAll, describe, expect, it } from 'vitest';
import { escapeHtml, reportHtml, type ReportModel } from '../../functions/report/html.ts';
import { HOSTILE_NAME, sampleReportModel, SAMPLE_CODES } from '../../local/demo/report-sample.ts';
import { attr, byTag, elements, hasClass, markLabels, parseHtml, text, type Node } from './dom.ts';

let model: ReportModel;
let html: string;
let page: Node;

beforeAll(async () => {
  model = await sampleReportModel(40);
  html = reportHtml(model);
  page = parseHtml(html);
});

function section(stkCd: string): Node {
  const found = elements(page).find((e) => e.tagName === 'section' && hasClass(e, 'code') && attr(e, 'data-stk-cd') === stkCd);
  if (!found) throw new Error(`no section for ${stkCd}`);
  return found;
}

/** Where a URL could make the page fetch something: src, href, srcset, poster, data, action, url(…), @import. */
function urlReferences(root: Node, raw: string): string[] {
  const refs: string[] = [];
  for (const e of elements(root)) {
    for (const a of e.attrs ?? []) {
      if (/^(src|href|xlink:href|srcset|poster|data|action|formaction|background)$/i.test(a.name)) refs.push(a.value);
      if (a.name === 'style') refs.push(...[...a.value.matchAll(/url\(([^)]*)\)/gi)].map((m) => m[1] ?? ''));
    }
  }
  refs.push(...[...raw.matchAll(/url\(([^)]*)\)/gi)].map((m) => m[1] ?? ''));
  refs.push(...[...raw.matchAll(/@import\s+([^;]+)/gi)].map((m) => m[1] ?? ''));
  return refs;
}

describe('the report page', () => {
  it('is a Korean page set up for phones', () => {
    const root = byTag(page, 'html')[0]!;
    expect(attr(root, 'lang')).toBe('ko');
    const metas = byTag(page, 'meta');
    expect(metas.some((m) => attr(m, 'charset')?.toLowerCase() === 'utf-8')).toBe(true);
    expect(metas.find((m) => attr(m, 'name') === 'viewport')?.attrs).toContainEqual({ name: 'content', value: 'width=device-width, initial-scale=1' });
    expect(text(byTag(page, 'h1')[0]!)).toBe('외국인 한도소진 현황');
  });

  it('needs no network: no script, stylesheet link, frame or external reference of any kind', () => {
    for (const tag of ['script', 'link', 'iframe', 'object', 'embed', 'img', 'base']) expect(byTag(page, tag)).toEqual([]);
    expect(elements(page).flatMap((e) => (e.attrs ?? []).filter((a) => /^on/i.test(a.name)))).toEqual([]);
    // Only in-page anchors remain.
    const refs = urlReferences(page, html);
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.every((r) => r.startsWith('#'))).toBe(true);
    expect(refs.filter((r) => /https?:|\/\//i.test(r))).toEqual([]);
    expect(html).not.toMatch(/https?:\/\//i);
  });

  it('lists every code in the status table, nearest threshold first, and the invalid item with its reason', () => {
    const rows = byTag(elements(page).find((e) => e.tagName === 'table' && hasClass(e, 'status'))!, 'tr').filter((r) => attr(r, 'data-stk-cd'));
    expect(rows.map((r) => attr(r, 'data-stk-cd'))).toEqual(model.status.codes.map((c) => c.stkCd));
    expect(rows).toHaveLength(SAMPLE_CODES.length);
    expect(text(elements(page).find((e) => hasClass(e, 'invalid'))!)).toContain('limit_exh_rt_above "49.123" has more than two decimals');
  });

  it('warns on the code whose newest stored day is missing trading days', () => {
    const stale = elements(page).filter((e) => e.tagName === 'tr' && hasClass(e, 'stale'));
    expect(stale.map((r) => attr(r, 'data-stk-cd'))).toEqual(['035720']);
    expect(text(stale[0]!)).toContain('2026-11-24 데이터 없음 (2거래일 지연');
  });

  it('draws one chart per code, inline, with its thresholds as lines', () => {
    for (const code of SAMPLE_CODES) {
      const charts = byTag(section(code.settings.stkCd), 'svg');
      expect(charts).toHaveLength(1);
      expect(charts[0]!.namespaceURI).toBe('http://www.w3.org/2000/svg');
      const expected = [
        ...code.settings.aboveBp.map((bp) => `threshold above ${bp / 100}%`),
        ...code.settings.belowBp.map((bp) => `threshold below ${bp / 100}%`),
      ];
      expect(markLabels(charts[0]!, 'thresholds').sort()).toEqual(expected.sort());
    }
  });

  it('marks each recorded alert of the period once on the chart and lists it below', () => {
    let total = 0;
    for (const code of model.codes) {
      const s = section(code.status.stkCd);
      const listed = byTag(s, 'tr').map((r) => attr(r, 'data-alert-id')).filter((id): id is string => id !== undefined);
      expect(listed).toEqual(code.alerts.map((a) => a.alertId));
      expect(markLabels(s, 'alerts').sort()).toEqual(code.alerts.map((a) => `alert ${a.dt} ${a.rule}`).sort());
      total += listed.length;
    }
    expect(total).toBeGreaterThan(3);
  });

  it('calls chg_qty the change in foreign holdings, never net trading (순매매), in the table and the charts', () => {
    expect(html).not.toMatch(/순매매|순매수|순매도/);
    expect(html).toContain('외국인 보유 증감');
  });

  it('shows an alert\'s values and status in Korean', () => {
    const first = model.codes.find((c) => c.alerts.length > 0)!;
    const row = byTag(section(first.status.stkCd), 'tr').find((r) => attr(r, 'data-alert-id') === first.alerts[0]!.alertId)!;
    expect(text(row)).toMatch(/\d+\.\d\d% → \d+\.\d\d%/);
    expect(text(row)).toMatch(/발송됨|발송 대기/);
  });

  it('keeps a name with markup in it as text, in the table, the heading and the chart', () => {
    expect(text(section('035720'))).toContain(HOSTILE_NAME);
    expect(text(byTag(section('035720'), 'h2')[0]!)).toBe(`${HOSTILE_NAME} (035720)`);
    // The chart's title is SVG text, also only text.
    expect(text(byTag(section('035720'), 'svg')[0]!)).toContain(HOSTILE_NAME);
  });
});

describe('escapeHtml', () => {
  it('turns markup characters into entities and control characters into visible escapes', () => {
    expect(escapeHtml(`<b a="1" b='2'>&</b>`)).toBe('&#60;b a=&#34;1&#34; b=&#39;2&#39;&#62;&#38;&#60;/b&#62;');
    expect(escapeHtml('SK\u001b[2J\u202e')).toBe('SK\\u001b[2J\\u202e');
  });
});
