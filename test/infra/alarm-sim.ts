// What an alarm of the synthesized template does with a series of datapoints:
// CloudWatch metric math for the operators and functions the stack's
// expressions use (DIFF looks back along the series), and the alarm's
// evaluation (M out of N, treatMissingData) period by period. Unknown syntax
// throws, so a test cannot pass by misreading an expression.

/** One value per metric id for one period; undefined is a period with no data. */
export type Sample = Record<string, number | undefined>;

type Token = { kind: 'num'; value: number } | { kind: 'id'; value: string } | { kind: 'op'; value: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(>=|<=|==|!=|[-+*/(),<>]))/y;
  let match: RegExpExecArray | null;
  while (re.lastIndex < text.length && (match = re.exec(text)) !== null) {
    if (match[1] !== undefined) tokens.push({ kind: 'num', value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ kind: 'id', value: match[2] });
    else tokens.push({ kind: 'op', value: match[3] as string });
  }
  if (text.slice(re.lastIndex).trim() !== '') throw new Error(`metric math: cannot read "${text.slice(re.lastIndex)}"`);
  return tokens;
}

/** The expression's value in period `i` of `series`. */
type Node = (series: readonly Sample[], i: number) => number | undefined;

/** A metric math expression as a function of a series of periods: its value in each (undefined where it has none). */
export function compile(expression: string): (series: readonly Sample[]) => (number | undefined)[] {
  const tokens = tokenize(expression);
  let i = 0;
  const peek = () => tokens[i];
  const take = (value?: string): Token => {
    const t = tokens[i++];
    if (t === undefined || (value !== undefined && t.value !== value)) throw new Error(`metric math: expected ${value ?? 'a token'} in ${expression}`);
    return t;
  };
  const binary = (next: () => Node, ops: string[]): (() => Node) => () => {
    let left = next();
    for (let t = peek(); t?.kind === 'op' || t?.kind === 'id' ? ops.includes(String(t.value)) : false; t = peek()) {
      const op = String(take().value);
      const l = left;
      const r = next();
      left = (s, i) => {
        const a = l(s, i);
        const b = r(s, i);
        if (a === undefined || b === undefined) return undefined;
        switch (op) {
          case 'OR': return a !== 0 || b !== 0 ? 1 : 0;
          case 'AND': return a !== 0 && b !== 0 ? 1 : 0;
          case '>=': return a >= b ? 1 : 0;
          case '>': return a > b ? 1 : 0;
          case '<=': return a <= b ? 1 : 0;
          case '<': return a < b ? 1 : 0;
          case '==': return a === b ? 1 : 0;
          case '!=': return a !== b ? 1 : 0;
          case '+': return a + b;
          case '-': return a - b;
          case '*': return a * b;
          case '/': return b === 0 ? undefined : a / b;
          default: throw new Error(`metric math: operator ${op}`);
        }
      };
    }
    return left;
  };
  const primary = (): Node => {
    const t = take();
    if (t.kind === 'num') return () => t.value;
    if (t.kind === 'op' && t.value === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (t.kind === 'id' && peek()?.value === '(') {
      take('(');
      const args: Node[] = [or()];
      while (peek()?.value === ',') {
        take(',');
        args.push(or());
      }
      take(')');
      if (t.value === 'IF' && args.length === 3) {
        const [c, a, b] = args as [Node, Node, Node];
        return (s, i) => {
          const v = c(s, i);
          if (v === undefined) return undefined;
          return v !== 0 ? a(s, i) : b(s, i);
        };
      }
      if (t.value === 'FILL' && args.length === 2) {
        const [m, v] = args as [Node, Node];
        return (s, i) => m(s, i) ?? v(s, i);
      }
      if (t.value === 'DIFF' && args.length === 1) {
        // Each value minus the one before it in the series (the last period that has one); none for the first.
        const [m] = args as [Node];
        return (s, i) => {
          const now = m(s, i);
          if (now === undefined) return undefined;
          for (let j = i - 1; j >= 0; j -= 1) {
            const before = m(s, j);
            if (before !== undefined) return now - before;
          }
          return undefined;
        };
      }
      throw new Error(`metric math: function ${t.value}`);
    }
    if (t.kind === 'id') return (s, i) => s[i]?.[t.value];
    throw new Error(`metric math: unexpected ${t.value}`);
  };
  const product = binary(primary, ['*', '/']);
  const sum = binary(product, ['+', '-']);
  const comparison = binary(sum, ['>=', '>', '<=', '<', '==', '!=']);
  const and = binary(comparison, ['AND']);
  const or = binary(and, ['OR']);
  const root = or();
  if (i !== tokens.length) throw new Error(`metric math: trailing input in ${expression}`);
  return (series) => series.map((_, period) => root(series, period));
}

export interface AlarmShape {
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  TreatMissingData?: string;
}

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

function breaches(alarm: AlarmShape, value: number): boolean {
  switch (alarm.ComparisonOperator) {
    case 'GreaterThanOrEqualToThreshold': return value >= alarm.Threshold;
    case 'GreaterThanThreshold': return value > alarm.Threshold;
    case 'LessThanThreshold': return value < alarm.Threshold;
    case 'LessThanOrEqualToThreshold': return value <= alarm.Threshold;
    default: throw new Error(`alarm: operator ${alarm.ComparisonOperator}`);
  }
}

/**
 * The alarm's state after each period, given the alarm's value per period
 * (undefined: no data), as CloudWatch evaluates M out of N datapoints.
 */
export function evaluate(alarm: AlarmShape, values: (number | undefined)[]): AlarmState[] {
  const n = alarm.EvaluationPeriods;
  const m = alarm.DatapointsToAlarm ?? n;
  const treat = alarm.TreatMissingData ?? 'missing';
  const states: AlarmState[] = [];
  let state: AlarmState = 'INSUFFICIENT_DATA';
  values.forEach((_, index) => {
    const window = values.slice(Math.max(0, index - n + 1), index + 1);
    const present = window.filter((v): v is number => v !== undefined);
    if (present.length === 0 && (treat === 'missing' || treat === 'ignore')) {
      if (treat === 'missing') state = 'INSUFFICIENT_DATA';
    } else {
      const breaching = window.filter((v) => (v === undefined ? treat === 'breaching' : breaches(alarm, v))).length;
      state = breaching >= m ? 'ALARM' : 'OK';
    }
    states.push(state);
  });
  return states;
}

/** How many notifications an alarm action sends: one per move into ALARM. */
export function notifications(states: AlarmState[]): number {
  return states.filter((s, i) => s === 'ALARM' && (i === 0 || states[i - 1] !== 'ALARM')).length;
}
