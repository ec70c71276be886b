// `npm run bench`: every benchmark, one table each, PASS/FAIL per bar; the
// exit code is non-zero when any bar fails.
import '../local/quiet-node20.ts';
import { runKiwoomBench } from './kiwoom.ts';
import { runScanBench } from './scan.ts';

const only = process.argv[2];
const bars = [];
if (only === undefined || only === 'kiwoom') bars.push(...(await runKiwoomBench()).bars);
if (only === undefined || only === 'scan') bars.push(...(await runScanBench()).bars);

const failed = bars.filter((b) => !b.pass);
console.log('');
console.log(failed.length === 0 ? 'benchmark: all bars PASS' : `benchmark: ${failed.length} bar(s) FAIL`);
process.exitCode = failed.length === 0 ? 0 : 1;
