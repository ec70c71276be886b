// A one-line text chart of recent values for plain-text email bodies, where
// no image can be relied on.

export const SPARK_BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/** Shown for a day whose value Kiwoom did not give. */
export const SPARK_GAP = '·';

/**
 * One bar per value, scaled between the known minimum and maximum. Integer
 * inputs (basis points) keep the scaling exact. A flat series draws the
 * lowest bar throughout; an unknown value draws a gap.
 */
export function sparkline(values: readonly (number | null)[]): string {
  const known = values.filter((v): v is number => v !== null);
  if (known.length === 0) return values.map(() => SPARK_GAP).join('');
  const min = Math.min(...known);
  const span = Math.max(...known) - min;
  const top = SPARK_BARS.length - 1;
  return values
    .map((v) => {
      if (v === null) return SPARK_GAP;
      const level = span === 0 ? 0 : Math.round(((v - min) * top) / span);
      return SPARK_BARS[level] ?? SPARK_GAP;
    })
    .join('');
}
