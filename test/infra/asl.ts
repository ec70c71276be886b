// Runs a synthesized state machine definition the way Step Functions does,
// for the Amazon States Language the scan loop uses: Pass, Task (InputPath,
// ResultPath, Retry, Catch), Choice, Fail (ErrorPath/CausePath), Succeed,
// JSONPath `$…` and `$$.Execution…`, and the intrinsics States.MathAdd and
// States.Format. Anything else throws, so a test cannot pass by skipping it.
// Tasks are answered by the test (by state name); retries do not wait.

export class StatesError extends Error {
  override readonly name = 'StatesError';
  readonly error: string;
  override readonly cause: string;

  constructor(error: string, cause: string) {
    super(`${error}: ${cause}`);
    this.error = error;
    this.cause = cause;
  }
}

type Json = unknown;
type State = Record<string, unknown> & { Type: string; Next?: string; End?: boolean };
export interface Definition {
  StartAt: string;
  States: Record<string, State>;
}

export interface Execution {
  name: string;
  startTime: string;
}

/** Answers a Task state: the effective input in, the result out, or a thrown StatesError. */
export type TaskHandler = (stateName: string, input: Json, attempt: number) => Promise<Json>;

export interface ExecutionResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: Json;
  error?: string;
  cause?: string;
  /** Names of the states entered, in order. */
  path: string[];
}

export async function execute(
  definition: Definition,
  input: Json,
  execution: Execution,
  task: TaskHandler,
  options: { maxTransitions?: number } = {},
): Promise<ExecutionResult> {
  const context = { Execution: { Name: execution.name, StartTime: execution.startTime, Id: `exec:${execution.name}` } };
  const path: string[] = [];
  let name = definition.StartAt;
  let data: Json = input;
  for (let transitions = 0; transitions < (options.maxTransitions ?? 1_000); transitions += 1) {
    const state = definition.States[name];
    if (state === undefined) throw new Error(`no state ${name}`);
    path.push(name);
    switch (state.Type) {
      case 'Pass':
        data = applyResult(data, state, state['Parameters'] === undefined ? select(data, state['InputPath'], context) : parameters(state['Parameters'], data, context));
        break;
      case 'Task': {
        const outcome = await runTask(name, state, data, context, task);
        if ('next' in outcome) {
          data = outcome.data;
          name = outcome.next;
          continue;
        }
        data = outcome.data;
        break;
      }
      case 'Choice': {
        const choices = state['Choices'] as Record<string, unknown>[];
        const chosen = choices.find((c) => condition(c, data, context));
        const next = (chosen?.['Next'] ?? state['Default']) as string | undefined;
        if (next === undefined) throw new StatesError('States.NoChoiceMatched', name);
        name = next;
        continue;
      }
      case 'Fail':
        return {
          status: 'FAILED',
          error: String(state['Error'] ?? readPath(data, state['ErrorPath'] as string, context)),
          cause: String(state['Cause'] ?? readPath(data, state['CausePath'] as string, context)),
          path,
        };
      case 'Succeed':
        return { status: 'SUCCEEDED', output: data, path };
      default:
        throw new Error(`asl: unsupported state type ${state.Type}`);
    }
    if (state.End === true) return { status: 'SUCCEEDED', output: data, path };
    if (state.Next === undefined) throw new Error(`state ${name} has neither Next nor End`);
    name = state.Next;
  }
  throw new Error('asl: too many transitions');
}

async function runTask(
  name: string,
  state: State,
  data: Json,
  context: object,
  task: TaskHandler,
): Promise<{ data: Json } | { data: Json; next: string }> {
  const input = state['Parameters'] === undefined ? select(data, state['InputPath'], context) : parameters(state['Parameters'], select(data, state['InputPath'], context), context);
  const retriers = (state['Retry'] ?? []) as { ErrorEquals: string[]; MaxAttempts?: number }[];
  const used = retriers.map(() => 0);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = await task(name, input, attempt);
      return { data: applyResult(data, state, result) };
    } catch (error) {
      if (!(error instanceof StatesError)) throw error;
      const index = retriers.findIndex((r) => matches(r.ErrorEquals, error.error));
      const retrier = retriers[index];
      if (retrier !== undefined && (used[index] as number) < (retrier.MaxAttempts ?? 3)) {
        used[index] = (used[index] as number) + 1;
        continue;
      }
      const catcher = ((state['Catch'] ?? []) as { ErrorEquals: string[]; ResultPath?: string; Next: string }[]).find((c) =>
        matches(c.ErrorEquals, error.error),
      );
      if (catcher === undefined) throw error;
      const caught = { Error: error.error, Cause: error.cause };
      return { data: writePath(data, catcher.ResultPath ?? '$', caught), next: catcher.Next };
    }
  }
}

function matches(errorEquals: string[], error: string): boolean {
  return errorEquals.includes(error) || errorEquals.includes('States.ALL');
}

function applyResult(data: Json, state: State, result: Json): Json {
  const resultPath = state['ResultPath'];
  if (resultPath === null) return data;
  const written = writePath(data, (resultPath as string | undefined) ?? '$', result);
  return select(written, state['OutputPath'], {});
}

function select(data: Json, path: unknown, context: object): Json {
  if (path === undefined) return data;
  if (path === null) return {};
  return readPath(data, path as string, context);
}

function segments(path: string): string[] {
  if (!/^\${1,2}(\.[A-Za-z_][\w-]*)*$/.test(path)) throw new Error(`asl: unsupported path ${path}`);
  return path.split('.').slice(1);
}

function readPath(data: Json, path: string, context: object): Json {
  const root = path.startsWith('$$') ? context : data;
  let value: Json = root;
  for (const key of segments(path)) {
    if (value === null || typeof value !== 'object' || !(key in value)) {
      throw new StatesError('States.Runtime', `path ${path} not found`);
    }
    value = (value as Record<string, Json>)[key];
  }
  return value;
}

function isPresent(data: Json, path: string, context: object): boolean {
  try {
    readPath(data, path, context);
    return true;
  } catch {
    return false;
  }
}

function writePath(data: Json, path: string, value: Json): Json {
  const keys = segments(path);
  if (keys.length === 0) return value;
  const copy = structuredClone((data ?? {}) as Record<string, Json>);
  let target = copy;
  for (const key of keys.slice(0, -1)) {
    if (typeof target[key] !== 'object' || target[key] === null) target[key] = {};
    target = target[key] as Record<string, Json>;
  }
  target[keys[keys.length - 1] as string] = value;
  return copy;
}

function parameters(template: unknown, data: Json, context: object): Json {
  if (Array.isArray(template)) return template.map((t) => parameters(t, data, context));
  if (template === null || typeof template !== 'object') return template;
  const out: Record<string, Json> = {};
  for (const [key, value] of Object.entries(template)) {
    if (key.endsWith('.$')) out[key.slice(0, -2)] = expression(value as string, data, context);
    else out[key] = parameters(value, data, context);
  }
  return out;
}

function expression(text: string, data: Json, context: object): Json {
  if (text.startsWith('$')) return readPath(data, text, context);
  const call = /^(States\.\w+)\((.*)\)$/s.exec(text);
  if (call === null) throw new Error(`asl: unsupported expression ${text}`);
  const args = splitArguments(call[2] as string).map((arg) => argument(arg, data, context));
  switch (call[1]) {
    case 'States.MathAdd':
      return (args[0] as number) + (args[1] as number);
    case 'States.Format': {
      const [format, ...values] = args as [string, ...Json[]];
      let i = 0;
      return format.replace(/\{\}/g, () => {
        const v = values[i++];
        if (v !== null && typeof v === 'object') throw new StatesError('States.IntrinsicFailure', 'Format takes no objects');
        return String(v);
      });
    }
    default:
      throw new Error(`asl: unsupported intrinsic ${call[1]}`);
  }
}

function splitArguments(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i] as string;
    if (c === '\\' && quoted) {
      current += c + (text[i + 1] ?? '');
      i += 1;
    } else if (c === "'") {
      quoted = !quoted;
      current += c;
    } else if (c === ',' && !quoted) {
      args.push(current.trim());
      current = '';
    } else {
      current += c;
    }
  }
  if (current.trim() !== '') args.push(current.trim());
  return args;
}

function argument(arg: string, data: Json, context: object): Json {
  if (arg.startsWith("'")) return arg.slice(1, -1).replace(/\\(.)/g, '$1');
  if (/^-?\d+(\.\d+)?$/.test(arg)) return Number(arg);
  if (arg.startsWith('$')) return readPath(data, arg, context);
  return expression(arg, data, context);
}

function condition(rule: Record<string, unknown>, data: Json, context: object): boolean {
  if ('And' in rule) return (rule['And'] as Record<string, unknown>[]).every((r) => condition(r, data, context));
  if ('Or' in rule) return (rule['Or'] as Record<string, unknown>[]).some((r) => condition(r, data, context));
  if ('Not' in rule) return !condition(rule['Not'] as Record<string, unknown>, data, context);
  const variable = rule['Variable'] as string;
  if ('IsPresent' in rule) return isPresent(data, variable, context) === rule['IsPresent'];
  const value = readPath(data, variable, context);
  if ('StringEquals' in rule) return value === rule['StringEquals'];
  if ('BooleanEquals' in rule) return value === rule['BooleanEquals'];
  if ('NumericGreaterThanEquals' in rule) return typeof value === 'number' && value >= (rule['NumericGreaterThanEquals'] as number);
  throw new Error(`asl: unsupported choice rule ${JSON.stringify(rule)}`);
}
