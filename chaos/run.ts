// `npm run chaos [-- --seed 7 --iterations 40 …]`: the fault harness on its
// own local parts (DynamoDB Local, fauxqs, the Kiwoom simulator), one table
// of figures on stdout, the notes behind any FAIL after it. Exit 0 when every
// invariant holds, 1 when one does not, 2 for a bad option.
import '../local/quiet-node20.ts';
import { parseArgs } from 'node:util';
import { startLocalAws } from '../local/local-aws.ts';
import { DEFAULT_OPTIONS, runChaos, SCENARIOS, type ChaosOptions, type ScenarioName } from './harness.ts';
import { formatNotes, formatTable } from './report.ts';
import { STALL_KINDS } from './scenarios/lapsed-lease.ts';

const USAGE = `usage: npm run chaos -- [options]

  --seed <n>            seed for every fault, kill moment and data set (default ${DEFAULT_OPTIONS.seed})
  --iterations <n>      SIGKILLs in the faults-and-kills scenario (default ${DEFAULT_OPTIONS.storm.kills})
  --codes <n>           watched codes in the faults-and-kills scenario (default ${DEFAULT_OPTIONS.storm.codes})
  --evenings <n>        evenings of new trading days there (default ${DEFAULT_OPTIONS.storm.evenings})
  --throttle <rate>     share of DynamoDB/SNS calls throttled (default ${DEFAULT_OPTIONS.storm.faults.throttle})
  --error <rate>        share answered 500 (default ${DEFAULT_OPTIONS.storm.faults.error})
  --lost <rate>         share served but answered into the void (default ${DEFAULT_OPTIONS.storm.faults.lost})
  --scenarios <list>    any of ${SCENARIOS.join(',')} (default all)
  --driver <lambda|cli> how the outage scenario runs the scan (default ${DEFAULT_OPTIONS.outage.driver}); the others run the Lambda handler
  --verbose             one line per scan run on stderr
  --json                the figures as JSON instead of the table
`;

class OptionError extends Error {}

function parseOptions(argv: string[]): { options: ChaosOptions; verbose: boolean; json: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      iterations: { type: 'string' },
      codes: { type: 'string' },
      evenings: { type: 'string' },
      throttle: { type: 'string' },
      error: { type: 'string' },
      lost: { type: 'string' },
      scenarios: { type: 'string' },
      driver: { type: 'string' },
      verbose: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const whole = (name: string, raw: string | undefined, fallback: number, min: number): number => {
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new OptionError(`--${name} must be a whole number ≥ ${min}, got "${raw}"`);
    return Number(raw);
  };
  const rate = (name: string, raw: string | undefined, fallback: number): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n < 0 || n > 0.5) throw new OptionError(`--${name} must be a rate between 0 and 0.5, got "${raw}"`);
    return n;
  };
  const scenarios = (values.scenarios ?? SCENARIOS.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const unknown = scenarios.filter((s) => !(SCENARIOS as readonly string[]).includes(s));
  if (unknown.length > 0 || scenarios.length === 0) throw new OptionError(`--scenarios takes ${SCENARIOS.join(', ')}; got "${values.scenarios}"`);
  const driver = values.driver ?? DEFAULT_OPTIONS.outage.driver;
  if (driver !== 'lambda' && driver !== 'cli') throw new OptionError(`--driver must be lambda or cli, got "${driver}"`);
  const faults = {
    throttle: rate('throttle', values.throttle, DEFAULT_OPTIONS.storm.faults.throttle),
    error: rate('error', values.error, DEFAULT_OPTIONS.storm.faults.error),
    lost: rate('lost', values.lost, DEFAULT_OPTIONS.storm.faults.lost),
  };
  if (faults.throttle + faults.error + faults.lost > 0.6) throw new OptionError('--throttle, --error and --lost together must stay at or below 0.6');
  return {
    options: {
      ...DEFAULT_OPTIONS,
      seed: whole('seed', values.seed, DEFAULT_OPTIONS.seed, 0),
      scenarios: scenarios as ScenarioName[],
      storm: {
        kills: whole('iterations', values.iterations, DEFAULT_OPTIONS.storm.kills, 0),
        codes: whole('codes', values.codes, DEFAULT_OPTIONS.storm.codes, 1),
        evenings: whole('evenings', values.evenings, DEFAULT_OPTIONS.storm.evenings, 1),
        faults,
      },
      lease: { stalls: STALL_KINDS },
      outage: { ...DEFAULT_OPTIONS.outage, driver },
    },
    verbose: values.verbose === true,
    json: values.json === true,
  };
}

let parsed: ReturnType<typeof parseOptions>;
try {
  parsed = parseOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`chaos: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}

const say = (line: string) => process.stderr.write(`${line}\n`);
const started = Date.now();
say(`chaos: seed ${parsed.options.seed}; starting DynamoDB Local and fauxqs`);
const aws = await startLocalAws();
const stop = (code: number) => void aws.stop().finally(() => process.exit(code));
process.once('SIGINT', () => stop(130));
process.once('SIGTERM', () => stop(143));
try {
  const report = await runChaos(aws, parsed.options, { progress: (l) => say(`· ${l}`), ...(parsed.verbose ? { run: (l) => say(`    ${l}`) } : {}) });
  if (parsed.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    const notes = formatNotes(report.figures);
    process.stdout.write(`\nchaos: seed ${report.seed}, ${((Date.now() - started) / 1000).toFixed(0)} s\n\n${formatTable(report.figures)}\n`);
    if (notes !== '') process.stdout.write(`\n${notes}\n`);
  }
  process.exitCode = report.passed ? 0 : 1;
} finally {
  await aws.stop();
}
