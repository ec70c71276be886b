// Starts the Kiwoom simulator with synthetic data for a few codes, for manual
// use: `npx tsx local/kiwoom-simulator/main.ts [--port 8700] [--latency 100]`.
// The credentials printed are the simulator's own fakes, never real keys.
import { parseArgs } from 'node:util';
import { syntheticHistory } from './dataset.ts';
import { startKiwoomSimulator } from './server.ts';

const SAMPLE_CODES: Record<string, { frgnrLimit: number; startRateBp: number }> = {
  '005930': { frgnrLimit: 5_969_782_550, startRateBp: 5_400 },
  '017670': { frgnrLimit: 104_163_728, startRateBp: 4_780 },
  '030200': { frgnrLimit: 128_236_452, startRateBp: 4_890 },
  '003490': { frgnrLimit: 184_191_264, startRateBp: 2_600 },
};

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    latency: { type: 'string', default: '0' },
    days: { type: 'string', default: '120' },
  },
});

const lastDt = new Date(Date.now() + 9 * 60 * 60 * 1000).toISOString().slice(0, 10).replaceAll('-', '');
const data = Object.fromEntries(
  Object.entries(SAMPLE_CODES).map(([stkCd, shape]) => [stkCd, syntheticHistory(stkCd, { days: Number(values.days), lastDt, ...shape })]),
);
const appKey = 'sim-appkey';
const secretKey = 'sim-secretkey';
const simulator = await startKiwoomSimulator({
  port: Number(values.port),
  latencyMs: Number(values.latency),
  apps: [{ appKey, secretKey }],
  data,
});

console.log(`Kiwoom simulator listening on ${simulator.url}`);
console.log(`  KIWOOM_BASE_URL=${simulator.url}`);
console.log(`  simulator app key: ${appKey}   simulator secret key: ${secretKey}`);
console.log(`  codes: ${Object.keys(data).join(', ')} (${values.days} trading days up to ${lastDt})`);
console.log('  admin: POST /__sim/faults, DELETE /__sim/faults, POST /__sim/expire-tokens, GET /__sim/stats');
console.log('Ctrl-C stops it.');

const stop = () => {
  void simulator.close().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
