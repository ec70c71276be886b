// The kfa command line as a user runs it: `node bin/kfa.js …` in a child
// process whose environment points at the local parts.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { localAwsEnv } from '../../local/local-aws.ts';
import { localAwsInfo } from './aws.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Only what kfa needs, then `vars` (an undefined value leaves a variable
 * out): nothing from the developer's own AWS setup leaks in.
 */
export function kfaEnv(vars: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...localAwsEnv(localAwsInfo()),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...vars,
  };
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}

/** Runs `node bin/kfa.js ...args` from the project root with exactly `env`. */
export function spawnKfa(args: string[], env: Record<string, string>): Promise<CliResult> {
  return startKfa(args, env).done;
}

/** The same, with the running process at hand (to pause it with SIGSTOP, as a frozen machine would). */
export function startKfa(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, ['bin/kfa.js', ...args], { cwd: ROOT, env });
  const done = new Promise<CliResult>((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}
