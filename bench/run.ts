// `npm run bench`: every benchmark, one table each, PASS/FAIL per bar; the
// exit code is non-zero when any bar fails.
import { runKiwoomBench } from './kiwoom.ts';

const kiwoom = await runKiwoomBench();

const failed = kiwoom.bars.filter((b) => !b.pass);
console.log('');
console.log(failed.length === 0 ? 'benchmark: all bars PASS' : `benchmark: ${failed.length} bar(s) FAIL`);
process.exitCode = failed.length === 0 ? 0 : 1;
