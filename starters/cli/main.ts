// The `failover` command: see and steer incidents from a terminal. Run it as `failover …`
// (package.json bin → scripts/failover) or `node starters/cli/main.ts …`; `failover --help` lists it all.
import { EXIT } from './context.ts';
import { run } from './program.ts';

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(EXIT.failure),
);
