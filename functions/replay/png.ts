// SVG → PNG with resvg (a Rust renderer shipped as a prebuilt npm platform
// package: no native build, no download at install time). resvg has no font
// of its own and ignores the system's font configuration, so it is handed the
// Korean font the repository ships (assets/fonts, SIL OFL): names such as
// "SK텔레콤" render on any machine, and the output does not depend on what
// fonts a machine happens to have.
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';

export const CHART_FONT_FILE = fileURLToPath(new URL('../../assets/fonts/NotoSansCJKkr-Regular-subset.otf', import.meta.url));
export const CHART_FONT_FAMILY = 'Noto Sans CJK KR';

export interface PngOptions {
  /** Pixels per SVG unit: 2 (the default) stays sharp on phone screens and in mail. */
  scale?: number;
}

export interface RasterImage {
  png: Buffer;
  width: number;
  height: number;
  /** RGBA, row by row, for checks that look at what was drawn. */
  pixels: Buffer;
}

export function rasterize(svg: string, options: PngOptions = {}): RasterImage {
  const scale = options.scale ?? 2;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: {
      fontFiles: [CHART_FONT_FILE],
      loadSystemFonts: false,
      defaultFontFamily: CHART_FONT_FAMILY,
      sansSerifFamily: CHART_FONT_FAMILY,
    },
  });
  const image = resvg.render();
  return { png: image.asPng(), width: image.width, height: image.height, pixels: image.pixels };
}

export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  return rasterize(svg, options).png;
}
