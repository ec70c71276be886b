// Charts as PNG: resvg with the font the repository ships, so Korean labels
// are drawn as glyphs on any machine (resvg has no font of its own).
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { rateChartSpec, renderChartSvg, type ChartLabels } from '../../functions/replay/chart.ts';
import { rasterize, svgToPng, type RasterImage } from '../../functions/replay/png.ts';
import { snapshot } from '../support/fixtures.ts';

const DAYS = ['20250303', '20250304', '20250305', '20250306', '20250307'].map((dt, i) =>
  snapshot({ dt, limitExhRtBp: 4880 + 10 * i, chgQty: (i % 2 === 0 ? 1 : -1) * 20_000 }),
);

function labels(title: string): ChartLabels {
  return {
    title,
    rateAxis: '한도소진률 (%)',
    chgQtyAxis: '외국인 보유 증감 (주)',
    thresholdLegend: '기준',
    thresholdKinds: { above: '상향', below: '하향' },
    alertLegend: '알림',
    rules: { limit_exh_rt_cross_up: '상향 돌파' },
  };
}

function chartSvg(title: string): Promise<string> {
  return renderChartSvg(
    rateChartSpec({
      days: DAYS,
      thresholds: { aboveBp: [4900], belowBp: [], chgQtyAbs: null },
      alerts: [{ dt: '20250305', rule: 'limit_exh_rt_cross_up' }],
      labels: labels(title),
    }),
  );
}

/** Pixels that are not (near) white inside rows [top, bottom). */
function inkedPixels(image: RasterImage, top: number, bottom: number): number {
  let inked = 0;
  for (let y = top; y < bottom; y++) {
    for (let x = 0; x < image.width; x++) {
      const i = (y * image.width + x) * 4;
      if ((image.pixels[i] ?? 255) < 200 || (image.pixels[i + 1] ?? 255) < 200 || (image.pixels[i + 2] ?? 255) < 200) inked += 1;
    }
  }
  return inked;
}

/** Pixels that differ between two images of one size inside rows [top, bottom). */
function differingPixels(a: RasterImage, b: RasterImage, top: number, bottom: number): number {
  let differ = 0;
  for (let i = top * a.width * 4; i < bottom * a.width * 4; i += 4) {
    if (a.pixels[i] !== b.pixels[i] || a.pixels[i + 1] !== b.pixels[i + 1] || a.pixels[i + 2] !== b.pixels[i + 2]) differ += 1;
  }
  return differ;
}

function svgSize(svg: string): { width: number; height: number } {
  const m = /<svg[^>]*\swidth="([\d.]+)"[^>]*\sheight="([\d.]+)"/.exec(svg);
  return { width: Number(m?.[1]), height: Number(m?.[2]) };
}

// The title sits in the top band of the chart (vega's title, 13px, plus padding).
const TITLE_BAND_SVG_PX = 22;

describe('a chart as PNG', () => {
  it('is a PNG twice the SVG\'s size, with the chart drawn in it', async () => {
    const svg = await chartSvg('SK텔레콤 017670 한도소진률');
    const png = PNG.sync.read(svgToPng(svg));
    const { width, height } = svgSize(svg);
    expect(width).toBeGreaterThan(300);
    expect([png.width, png.height]).toEqual([Math.ceil(width * 2), Math.ceil(height * 2)]);
    let inked = 0;
    for (let i = 0; i < png.data.length; i += 4) if ((png.data[i] ?? 255) < 200) inked += 1;
    // Lines, axes, bars and text: well over 1% of the pixels, far from all of them.
    expect(inked / (png.width * png.height)).toBeGreaterThan(0.01);
    expect(inked / (png.width * png.height)).toBeLessThan(0.5);
  });

  it('draws the Korean title as glyphs: ink where the label is, absent without it', async () => {
    const withLabel = rasterize(await chartSvg('가나다라마바사 한도소진률'));
    const without = rasterize(await chartSvg(''));
    const band = TITLE_BAND_SVG_PX * 2;
    expect(inkedPixels(withLabel, 0, band)).toBeGreaterThan(500);
    // Layout may shift below the title when it is removed; the title band itself must differ.
    expect(differingPixels(withLabel, without, 0, band)).toBeGreaterThan(500);
  });

  it('draws a title holding control characters (a name typed in the console) instead of failing', async () => {
    const image = rasterize(await chartSvg('SK\u0001텔레콤\u001b[2J <script>'));
    expect(inkedPixels(image, 0, TITLE_BAND_SVG_PX * 2)).toBeGreaterThan(500);
  });

  it('draws different Hangul differently (not the same missing-glyph box for each)', async () => {
    const one = rasterize(await chartSvg('가나다라마바사 한도소진률'));
    const other = rasterize(await chartSvg('하파타카차자아 한도소진률'));
    expect([one.width, one.height]).toEqual([other.width, other.height]);
    expect(differingPixels(one, other, 0, TITLE_BAND_SVG_PX * 2)).toBeGreaterThan(500);
  });
});
