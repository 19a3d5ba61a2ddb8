// scripts/go-tools.sh from TypeScript: build one Go tool, or find a module's source (schemas and
// config templates ship in it). Each version is written in scripts/go-tools/go.mod only.
import { fileURLToPath } from 'node:url';
import { exec } from './exec.ts';

const SCRIPT = fileURLToPath(new URL('go-tools.sh', import.meta.url));

/** Builds `pkg` (a main package of the module's graph) into the file `out`. */
export async function goTool(pkg: string, out: string): Promise<void> {
  await exec('sh', [SCRIPT, 'build', pkg, out]);
}

/** Where the module cache holds `mod` at the pinned version. */
export async function goModuleDir(mod: string): Promise<string> {
  return (await exec('sh', [SCRIPT, 'dir', mod], { quiet: true })).trim();
}
