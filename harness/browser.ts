// Headless Chromium for the browser tests (Temporal UI, the drill's report): the Debian package,
// installed on first use when missing (CI machines start fresh, with no stdin), driven by
// playwright-core. Playwright's own browser downloads do not work here.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
  (p): p is string => !!p,
);

/** The path of a Chromium, installing the distribution's package when there is none. */
function ensureChromium(): string {
  const found = CANDIDATES.find((p) => existsSync(p));
  if (found) return found;
  if (spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status !== 0) {
    throw new Error(
      'Chromium is not installed and there is no apt-get to install it: install chromium, or set CHROMIUM_PATH',
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const run = (args: string[]) =>
    execFileSync(sudo[0] ?? args[0]!, [...sudo.slice(1), ...(sudo.length ? args : args.slice(1))], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 600_000,
    });
  try {
    run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
  } catch {
    run(['apt-get', 'update']);
    run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
  }
  const installed = CANDIDATES.find((p) => existsSync(p));
  if (!installed) throw new Error('apt-get installed chromium but no binary was found at /usr/bin/chromium');
  return installed;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS, headless: true });
}
