// The harness's one source of chance. Every fault, kill moment and dataset
// comes from a Seeded stream derived from the run's --seed, so a failing run
// can be replayed with the same decisions (concurrent requests may still
// arrive in a different order on a busy machine; see README "Measured under
// faults").
import { mulberry32 } from '../local/kiwoom-simulator/dataset.ts';

export class Seeded {
  readonly #next: () => number;

  constructor(readonly seed: number) {
    this.#next = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  real(): number {
    return this.#next();
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.#next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.#next() * items.length)] as T;
  }

  /**
   * An independent stream for one part of the run (`storm`, `proxy`, …):
   * adding draws to one part never shifts another part's decisions.
   */
  fork(label: string): Seeded {
    let hash = this.seed >>> 0;
    for (const char of label) hash = Math.imul(hash ^ char.charCodeAt(0), 16_777_619) >>> 0;
    return new Seeded(hash ^ 0x9e3779b9);
  }
}
