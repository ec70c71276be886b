// `npm run report:check [-- report.html]`: opens a `kfa report` page in a real
// browser (Debian's chromium, headless) and checks what only a browser can
// tell: nothing was fetched, no script ran (the sample's code name tries to
// inject one), every chart is drawn, and on a 390-pixel-wide phone screen the
// page needs no sideways scrolling. It also saves screenshots (phone and
// desktop) to look at. Without a path it checks a report built from a known
// synthetic history (local/demo/report-sample.ts).
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { reportHtml } from '../functions/report/html.ts';
import { sampleReportModel } from './demo/report-sample.ts';

const run = promisify(execFile);
const PHONE = { width: 390, height: 2400 };
const DESKTOP = { width: 1200, height: 1600 };
const OUT_DIR = 'out/report-check';

/** What the wrapper page reads from the report inside its iframe. */
interface PageFacts {
  title: string;
  scripts: number;
  resourcesFetched: string[];
  charts: number;
  codeSections: number;
  scrollWidth: number;
  viewportWidth: number;
}

async function findChromium(): Promise<string> {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      const { stdout } = await run('sh', ['-c', `command -v ${name}`]);
      if (stdout.trim()) return stdout.trim();
    } catch {
      // not on PATH; try the next name
    }
  }
  throw new Error("no chromium on PATH: install Debian's package (apt-get install -y chromium)");
}

function chromiumArgs(profile: string, extra: string[]): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    ...extra,
  ];
}

/** A page of our own that loads the report in a phone-wide iframe and writes down what it finds. */
function wrapperHtml(reportFile: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"></head><body>
<iframe id="report" src="${reportFile}" style="width:${PHONE.width}px;height:800px;border:0"></iframe>
<pre id="facts"></pre>
<script>
document.getElementById('report').addEventListener('load', (event) => {
  const frame = event.target;
  const doc = frame.contentDocument;
  const facts = {
    title: doc.title,
    scripts: doc.querySelectorAll('script').length,
    resourcesFetched: frame.contentWindow.performance.getEntriesByType('resource').map((r) => r.name),
    charts: doc.querySelectorAll('figure.chart svg').length,
    codeSections: doc.querySelectorAll('section.code').length,
    scrollWidth: doc.documentElement.scrollWidth,
    viewportWidth: doc.documentElement.clientWidth,
  };
  document.getElementById('facts').textContent = JSON.stringify(facts);
});
</script></body></html>`;
}

async function pageFacts(chromium: string, profile: string, wrapper: string): Promise<PageFacts> {
  const { stdout } = await run(
    chromium,
    chromiumArgs(profile, ['--allow-file-access-from-files', '--virtual-time-budget=10000', '--dump-dom', pathToFileURL(wrapper).href]),
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const json = /<pre id="facts">([^<]*)<\/pre>/.exec(stdout)?.[1];
  if (!json) throw new Error('the browser did not finish loading the report');
  return JSON.parse(json.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>')) as PageFacts;
}

async function screenshot(chromium: string, profile: string, page: string, size: { width: number; height: number }, file: string): Promise<void> {
  await run(chromium, chromiumArgs(profile, [`--window-size=${size.width},${size.height}`, `--screenshot=${file}`, pathToFileURL(page).href]));
}

function problemsWith(facts: PageFacts, expectedCharts: number | null): string[] {
  const problems: string[] = [];
  if (facts.title.includes('PWNED')) problems.push('a script ran: the title was changed');
  if (facts.scripts > 0) problems.push(`${facts.scripts} <script> element(s) in the page`);
  if (facts.resourcesFetched.length > 0) problems.push(`fetched ${facts.resourcesFetched.join(', ')}`);
  if (facts.charts !== facts.codeSections) problems.push(`${facts.charts} charts for ${facts.codeSections} codes`);
  if (expectedCharts !== null && facts.charts !== expectedCharts) problems.push(`${facts.charts} charts, expected ${expectedCharts}`);
  if (facts.scrollWidth > facts.viewportWidth) {
    problems.push(`on a ${PHONE.width}px phone the page is ${facts.scrollWidth}px wide (sideways scrolling)`);
  }
  return problems;
}

async function main(): Promise<void> {
  const given = process.argv[2];
  const chromium = await findChromium();
  const work = await mkdtemp(join(tmpdir(), 'kfa-report-check-'));
  try {
    const report = join(work, 'report.html');
    let expectedCharts: number | null = null;
    if (given) await copyFile(given, report);
    else {
      const model = await sampleReportModel();
      expectedCharts = model.codes.length;
      await writeFile(report, reportHtml(model));
    }
    const wrapper = join(work, 'wrapper.html');
    await writeFile(wrapper, wrapperHtml('report.html'));
    const facts = await pageFacts(chromium, join(work, 'profile'), wrapper);

    await mkdir(OUT_DIR, { recursive: true });
    const shots = { phone: resolve(OUT_DIR, 'phone.png'), desktop: resolve(OUT_DIR, 'desktop.png') };
    await screenshot(chromium, join(work, 'profile'), report, PHONE, shots.phone);
    await screenshot(chromium, join(work, 'profile'), report, DESKTOP, shots.desktop);

    process.stdout.write(`checked ${given ? resolve(given) : 'the sample report'} in ${chromium}\n`);
    process.stdout.write(`  ${facts.codeSections} code sections, ${facts.charts} charts, ${facts.scripts} scripts, ${facts.resourcesFetched.length} resources fetched\n`);
    process.stdout.write(`  phone width ${PHONE.width}px: page ${facts.scrollWidth}px wide\n`);
    process.stdout.write(`  screenshots: ${shots.phone}, ${shots.desktop}\n`);
    const problems = problemsWith(facts, expectedCharts);
    for (const problem of problems) process.stdout.write(`FAIL ${problem}\n`);
    if (problems.length === 0) process.stdout.write('PASS\n');
    process.exitCode = problems.length === 0 ? 0 : 1;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`report:check failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 2;
});
