// Longest first: the files that take minutes start at once, beside each other, and the short ones
// fill the gaps, so no long file starts last and stretches the run. Files vitest has timed before
// keep its own order (by duration) after these.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** The suites that take minutes on two cores (see the slowest-files list printed by `npm test`). */
const SLOW_FIRST = [
  'test/chaos/transient-faults.test.ts',
  'test/chaos/worker-kills.test.ts',
  'test/simulation/simulation.test.ts',
  'test/start.test.ts',
  'test/chaos/alert-storm.test.ts',
  'test/ui.test.ts',
];

export default class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((s) => f.moduleId.endsWith(s));
      return i === -1 ? SLOW_FIRST.length : i;
    };
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
