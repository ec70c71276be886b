// A scan as a user runs it, in its own process group: the deployed Lambda
// handler in a container (see lambda-container.ts) or `kfa scan --json`.
// The harness can SIGKILL the whole group at any moment (killing only the
// parent would leave a child running), freeze it with SIGSTOP (a paused
// Lambda: no timer fires, no lease is renewed) and thaw it with SIGCONT.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { PROJECT_ROOT } from './container-bundle.ts';

export type ScanDriver = 'lambda' | 'cli';

/** What the harness reads from a run's own report, whichever driver ran it. */
export interface RunReport {
  done: boolean | null;
  /** `stopped.reason` when the run stopped itself (lease lost, Kiwoom unavailable, bad credentials). */
  stopped: string | null;
  /** Another scan held the lease: this run did nothing. */
  leaseHeld: boolean;
  codesFailed: number;
  codesNotReached: number;
  daysDeferred: number;
  alertsPublished: number | null;
}

export interface ScanOutcome {
  caller: string;
  driver: ScanDriver;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The harness killed it. */
  killed: boolean;
  report: RunReport | null;
  /** The handler threw, or the container failed to start. */
  error: string | null;
  /** The end of stderr (and of the Lambda's logs), for diagnosis. */
  logTail: string;
  startedAt: number;
  finishedAt: number;
}

const TAIL = 6_000;

/**
 * Process groups still running. Scans are detached (their own group), so
 * neither Ctrl-C nor the harness's death reaches them: on its way out, the
 * harness kills what is left, whatever way it ends.
 */
const liveGroups = new Set<number>();
process.once('exit', () => {
  for (const pid of liveGroups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/** One scan process: created (a Lambda container initialises at once), started, then finished or killed. */
export class ScanProcess {
  #child: ChildProcess | null = null;
  #killed = false;
  #startedAt = 0;
  #logTail = '';
  #stdout = '';
  #control = '';
  #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | null = null;
  #ready: Promise<void> | null = null;
  #outcome: Promise<ScanOutcome> | null = null;

  private constructor(
    readonly caller: string,
    readonly driver: ScanDriver,
    private readonly env: Record<string, string>,
    private readonly containerPath: string,
  ) {}

  /** A Lambda container starts its init phase now; a CLI run is spawned by `start()`. */
  static create(caller: string, driver: ScanDriver, env: Record<string, string>, containerPath: string): ScanProcess {
    const scan = new ScanProcess(caller, driver, env, containerPath);
    if (driver === 'lambda') scan.#spawn([containerPath]);
    return scan;
  }

  /** Invokes the handler (Lambda) or runs `kfa scan --json` (CLI); resolves when the run is under way. */
  async start(event: object = {}): Promise<void> {
    if (this.driver === 'cli') {
      this.#spawn(['bin/kfa.js', 'scan', '--json']);
      this.#startedAt = Date.now();
      return;
    }
    await this.#ready;
    this.#startedAt = Date.now();
    this.#child?.stdin?.end(JSON.stringify(event));
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get startedAt(): number {
    return this.#startedAt;
  }

  /** The run's end: exit code, signal, its report. */
  finished(): Promise<ScanOutcome> {
    this.#outcome ??= this.#collect();
    return this.#outcome;
  }

  /** SIGKILL to the whole process group; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (!this.#running()) return;
    this.#killed = true;
    this.#signalGroup('SIGKILL');
    await this.#exited;
  }

  #running(): boolean {
    const child = this.#child;
    return child !== null && child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** SIGSTOP to the group: a frozen Lambda. */
  freeze(): void {
    this.#signalGroup('SIGSTOP');
  }

  thaw(): void {
    this.#signalGroup('SIGCONT');
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child?.pid;
    if (pid === undefined || !this.#running()) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  }

  #spawn(args: string[]): void {
    const stdio = this.driver === 'lambda' ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'];
    const child = spawn(process.execPath, args, {
      cwd: PROJECT_ROOT,
      env: this.env,
      detached: true,
      stdio: stdio as ('pipe' | 'ignore')[],
    });
    this.#child = child;
    if (child.pid !== undefined) liveGroups.add(child.pid);
    // 'close', not 'exit': the summary and the control messages may still be in the pipes at exit.
    this.#exited = new Promise((resolve) =>
      child.once('close', (code, signal) => {
        if (child.pid !== undefined) liveGroups.delete(child.pid);
        resolve({ code, signal });
      }),
    );
    child.once('error', () => undefined);
    const keepTail = (chunk: Buffer) => {
      this.#logTail = (this.#logTail + chunk.toString('utf8')).slice(-TAIL);
    };
    child.stderr?.on('data', keepTail);
    // The Lambda's stdout is its log; the CLI's is the --json summary.
    if (this.driver === 'lambda') child.stdout?.on('data', keepTail);
    else child.stdout?.on('data', (chunk: Buffer) => (this.#stdout += chunk.toString('utf8')));
    const control = child.stdio[3] as Readable | null | undefined;
    if (control) {
      this.#ready = new Promise((resolve, reject) => {
        control.on('data', (chunk: Buffer) => {
          this.#control += chunk.toString('utf8');
          if (this.#control.includes('"kind":"ready"')) resolve();
          if (this.#control.includes('"kind":"init-failed"')) reject(new Error(`Lambda container failed to start: ${this.#control.trim()}`));
        });
        void this.#exited?.then(() => reject(new Error(`Lambda container exited during init: ${this.#logTail.trim()}`)));
      });
      this.#ready.catch(() => undefined);
    }
  }

  async #collect(): Promise<ScanOutcome> {
    if (!this.#exited) throw new Error(`scan ${this.caller} was never started`);
    const { code, signal } = await this.#exited;
    const outcome: ScanOutcome = {
      caller: this.caller,
      driver: this.driver,
      exitCode: code,
      signal,
      killed: this.#killed,
      report: null,
      error: null,
      logTail: this.#logTail,
      startedAt: this.#startedAt,
      finishedAt: Date.now(),
    };
    if (this.#killed) return outcome;
    if (this.driver === 'cli') {
      outcome.report = readReport(parseJson(this.#stdout));
      return outcome;
    }
    for (const line of this.#control.split('\n')) {
      const message = parseJson(line) as { kind?: string; result?: { done?: unknown; outcome?: unknown; summary?: unknown }; error?: string } | null;
      if (message?.kind === 'result') {
        const { summary, done, outcome: ending } = message.result ?? {};
        outcome.report = readReport(typeof summary === 'object' && summary !== null ? { done, outcome: ending, ...summary } : message.result);
      }
      if (message?.kind === 'error' || message?.kind === 'init-failed') outcome.error = message.error ?? 'unknown error';
    }
    return outcome;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const count = (value: unknown): number => (Array.isArray(value) ? value.length : typeof value === 'number' ? value : 0);

/**
 * The run summary's fields the harness uses, read defensively: the CLI prints
 * the whole summary, the handler returns a smaller object (lists as counts,
 * perhaps an `outcome`), and either may grow; a missing field reads as
 * unknown rather than failing the harness.
 */
export function readReport(raw: unknown): RunReport | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const s = raw as Record<string, unknown>;
  const stopped = s.stopped as { reason?: unknown } | null | undefined;
  const reason = stopped && typeof stopped === 'object' ? String(stopped.reason ?? 'stopped') : null;
  return {
    done: typeof s.done === 'boolean' ? s.done : null,
    stopped: reason ?? (s.outcome === 'stopped' ? 'stopped' : null),
    leaseHeld: (s.lease_held !== null && s.lease_held !== undefined) || s.outcome === 'lease_held',
    codesFailed: count(s.codes_failed),
    codesNotReached: count(s.codes_not_reached),
    daysDeferred: count(s.days_deferred),
    alertsPublished: typeof s.alerts_published === 'number' ? s.alerts_published : null,
  };
}
