// The tail every process entry shares: a bad config exits 2 with its problems listed; anything
// else is logged and exits 1.
import { ConfigError } from '../config/load.ts';
import { logger } from './logger.ts';
import { errorText } from '../workflows/error-text.ts';

export function runMain(name: string, main: () => Promise<unknown>): void {
  main().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    logger.fatal({ err: errorText(err) }, `${name} failed`);
    process.exit(1);
  });
}

/** The config file a process runs on: its argument, else FAILOVER_CONFIG, else the example. */
export function configPathOf(arg: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return arg ?? env.FAILOVER_CONFIG ?? 'config/example.yaml';
}
