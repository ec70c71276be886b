// Reading a chaos report in the suite: one scenario's figures, and the
// harness's own account of what went wrong to show beside a failed assertion.
import type { ChaosReport } from '../../chaos/harness.ts';
import type { ScenarioFigures } from '../../chaos/measure.ts';

export function figuresOf(report: ChaosReport, scenario: string): ScenarioFigures {
  const figures = report.figures.find((f) => f.scenario === scenario);
  if (!figures) throw new Error(`the chaos run reported no scenario "${scenario}"`);
  return figures;
}

/** The notes behind the figures: which alert, which run, why. */
export function why(figures: ScenarioFigures): string {
  return figures.notes.join('\n');
}
