// The worker process: `node worker/main.ts [config.yaml]` (or FAILOVER_CONFIG).
import { configPathOf, runMain } from '../clients/process.ts';
import { runWorker } from './service.ts';

runMain('worker', () => runWorker(configPathOf(process.argv[2])));
