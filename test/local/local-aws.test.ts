import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { startLocalAws } from '../../local/local-aws.ts';
import { isAlive } from '../support/process.ts';

const holder = fileURLToPath(new URL('./fixtures/hold-local-aws.ts', import.meta.url));

/** A killed process lingers as a zombie until its new parent reaps it. */
async function expectGone(pid: number): Promise<void> {
  await vi.waitFor(() => expect(isAlive(pid)).toBe(false), { timeout: 5000, interval: 50 });
}

/** Runs the holder script in its own Node process and resolves with its DynamoDB Local PID. */
async function startHolder(mode: 'wait' | 'crash', watchdog = false) {
  const args = ['--import', 'tsx', holder, mode, ...(watchdog ? ['watchdog'] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let out = '';
  const dynamoPid = await new Promise<number>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { dynamoPid: number }).dynamoPid);
    });
    child.once('exit', (code) => reject(new Error(`holder exited early (${code})`)));
  });
  return { child, dynamoPid, exited };
}

describe('startLocalAws', () => {
  it('says that Java is missing when `java` is not on the PATH', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await expect(startLocalAws()).rejects.toThrow(/Java 17\+ on the PATH/);
    } finally {
      process.env.PATH = path;
    }
  });

  it('leaves no DynamoDB Local process behind after stop()', async () => {
    const local = await startLocalAws();
    await local.stop();
    expect(isAlive(local.dynamoPid)).toBe(false);
  });
});

// Each case starts its own DynamoDB Local in a child process (a few seconds each).
describe('DynamoDB Local never outlives the process that started it', () => {

  it('takes DynamoDB Local down when the process holding it gets SIGTERM', async () => {
    const { child, dynamoPid, exited } = await startHolder('wait');
    expect(isAlive(dynamoPid)).toBe(true);
    child.kill('SIGTERM');
    const [, signal] = await exited;
    expect(signal).toBe('SIGTERM');
    await expectGone(dynamoPid);
  });

  it('takes DynamoDB Local down when the process holding it crashes', async () => {
    const { dynamoPid, exited } = await startHolder('crash');
    const [code] = await exited;
    expect(code).toBe(1);
    await expectGone(dynamoPid);
  });

  it('takes DynamoDB Local down through the watchdog when the holding process is SIGKILLed', async () => {
    const { child, dynamoPid, exited } = await startHolder('wait', true);
    child.kill('SIGKILL');
    await exited;
    await expectGone(dynamoPid);
  });
});
