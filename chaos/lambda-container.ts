// One Lambda container of the scan function, for the fault harness. It runs
// the deployed handler as Lambda does: the init phase imports the handler
// module (configuration, AWS clients, the Kiwoom client), then one
// invocation, whose event arrives on stdin. The harness builds this file
// with esbuild as the deployment does (see container-bundle.ts), starts the
// next container while the current one works (so a kill costs no start-up
// time), and kills, freezes or lets it finish.
//
// Control messages (one JSON object a line) go to file descriptor 3, never
// to stdout, where Powertools writes its logs.
import { randomUUID } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import '../local/quiet-node20.ts';

const CONTROL_FD = 3;
/** The scan function's configured timeout (infra: 15 minutes). */
const FUNCTION_TIMEOUT_MS = 15 * 60 * 1000;

type Control =
  | { kind: 'ready' }
  | { kind: 'result'; result: unknown }
  | { kind: 'error'; error: string }
  | { kind: 'init-failed'; error: string };

function tell(message: Control): void {
  writeSync(CONTROL_FD, `${JSON.stringify(message)}\n`);
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The invocation's event; null when stdin closes without one (the harness went away): no invocation then. */
function readEvent(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (chunk: Buffer) => chunks.push(chunk));
    process.stdin.once('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      resolve(text === '' ? null : JSON.parse(text));
    });
    process.stdin.once('error', reject);
  });
}

function lambdaContext(startedAt: number): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'kfa-scan',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:ap-northeast-2:000000000000:function:kfa-scan',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/kfa-scan',
    logStreamName: `chaos/${requestId}`,
    getRemainingTimeInMillis: () => Math.max(0, startedAt + FUNCTION_TIMEOUT_MS - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

type Handler = (event: unknown, context: Context) => Promise<unknown>;

let handler: Handler;
try {
  ({ handler } = (await import('../functions/handlers/scan.ts')) as unknown as { handler: Handler });
} catch (error) {
  tell({ kind: 'init-failed', error: describe(error) });
  process.exit(1);
}
tell({ kind: 'ready' });

const event = await readEvent();
if (event === null) process.exit(0);
try {
  const result = await handler(event, lambdaContext(Date.now()));
  tell({ kind: 'result', result });
} catch (error) {
  tell({ kind: 'error', error: describe(error) });
  process.exitCode = 1;
}
// Lambda freezes the container after the reply; here it ends, even if a
// keep-alive socket would hold the event loop open.
setTimeout(() => process.exit(), 2_000).unref();
