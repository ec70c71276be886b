// `kfa report --html report.html`: the status table, and per code a chart and
// the recent alerts, as one self-contained page (History table only). With
// --images, each chart also as PNG (mail clients often do not show SVG).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { reportHtml, type ReportModel } from '../../functions/report/html.ts';
import { buildReportModel, DEFAULT_REPORT_DAYS } from '../../functions/report/report.ts';
import { svgToPng } from '../../functions/replay/png.ts';
import { say } from '../context.ts';
import { parseCodes, UsageError } from '../exit.ts';
import { currentStatus } from './status.ts';

interface ReportCliOptions {
  html: string;
  days?: number;
  codes?: string[];
  images?: string;
}

export interface ReportRequest {
  htmlPath: string;
  days?: number;
  codes?: readonly string[];
  /** A directory for one PNG per chart (`<stk_cd>.png`). */
  imagesDir?: string;
  now: Date;
}

export interface WrittenReport {
  model: ReportModel;
  htmlPath: string;
  images: string[];
}

function parseDays(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || n < 1) throw new InvalidArgumentError(`"${raw}" is not a whole number of at least 1`);
  return n;
}

/** Reads the tables `cliContext()` points at and writes the page (and the PNGs). */
export async function writeReport(request: ReportRequest): Promise<WrittenReport> {
  if (!/\.html?$/i.test(request.htmlPath)) throw new UsageError(`cannot write ${request.htmlPath}: the report path must end in .html`);
  const days = request.days ?? DEFAULT_REPORT_DAYS;
  const { loaded, status } = await currentStatus({ ...(request.codes ? { codes: request.codes } : {}), days }, request.now);
  const model = await buildReportModel(loaded, status, days);
  await mkdir(dirname(resolve(request.htmlPath)), { recursive: true });
  await writeFile(request.htmlPath, reportHtml(model));
  const images: string[] = [];
  if (request.imagesDir !== undefined) {
    await mkdir(request.imagesDir, { recursive: true });
    for (const code of model.codes) {
      if (code.chartSvg === null) continue;
      const path = join(request.imagesDir, `${code.status.stkCd}.png`);
      await writeFile(path, svgToPng(code.chartSvg));
      images.push(path);
    }
  }
  return { model, htmlPath: resolve(request.htmlPath), images };
}

export function registerReportCommand(program: Command): void {
  program
    .command('report')
    .description(
      'write a self-contained HTML report (no network needed to open it): the status table, then per code a chart of the ' +
        'rate with its thresholds and alert markers and the recent alerts (History table only)',
    )
    .requiredOption('--html <report.html>', 'where to write the page')
    .option('--days <n>', `trading days per chart (default ${DEFAULT_REPORT_DAYS})`, parseDays)
    .option('--codes <codes>', 'only these codes, comma-separated', parseCodes)
    .option('--images <dir>', 'also write each chart as <dir>/<stk_cd>.png')
    .action(async (options: ReportCliOptions) => {
      const written = await writeReport({
        htmlPath: options.html,
        ...(options.days !== undefined ? { days: options.days } : {}),
        ...(options.codes ? { codes: options.codes } : {}),
        ...(options.images !== undefined ? { imagesDir: options.images } : {}),
        now: new Date(),
      });
      const charts = written.model.codes.filter((c) => c.chartSvg !== null).length;
      say(`report written to ${written.htmlPath} (${written.model.codes.length} codes, ${charts} charts)`);
      for (const image of written.images) say(`chart written to ${image}`);
    });
}
