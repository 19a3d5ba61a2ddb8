// A vitest reporter: the ten slowest test files of the run (time in tests and hooks), printed at
// the end and written to .data/slowest-files.txt for the step summary of scripts/test.sh.
import { mkdirSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { Reporter, TestModule } from 'vitest/node';

export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => ({ file: relative(process.cwd(), m.moduleId), s: m.diagnostic().duration / 1000, state: m.state() }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10)
      .map((r) => `${r.s.toFixed(0).padStart(6)} s  ${r.file}${r.state === 'passed' ? '' : `  (${r.state})`}`);
    if (rows.length === 0) return;
    mkdirSync('.data', { recursive: true });
    writeFileSync('.data/slowest-files.txt', `${rows.join('\n')}\n`);
  }
}
