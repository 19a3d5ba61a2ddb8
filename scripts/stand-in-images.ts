// Local stand-ins for the images a registry-less CI cannot pull (docker/standins/<name>/), built
// on a Debian base made with debootstrap. Each image is tagged by a hash of its inputs (recipe,
// binaries' versions) and kept twice: in the engine's own state (.data/docker, one checkout) and
// as a `docker save` tarball in the machine's cache (FAILOVER_IMAGE_CACHE, default
// ~/.cache/failover/images, like Go's build cache), so a fresh clone loads in seconds what a new
// machine builds in minutes. Every build is a named step with a budget (scripts/step.ts).
//
//   const images = await buildStandIns(engine);   // { POSTGRES_IMAGE: 'failover-local/postgres:<hash>', … }
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Engine } from './compose-engine.ts';
import { exec } from './exec.ts';
import { goModuleDir, goTool } from './go-tools.ts';
import { step } from './step.ts';
import { ensureTemporalBinaries } from './temporal-postgres.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RECIPES = join(ROOT, 'docker/standins');
const CONTEXTS = join(ROOT, '.data/compose-cache/ctx');
const GO_MOD = join(ROOT, 'scripts/go-tools/go.mod');
const RENDER_CONFIG_SRC = join(ROOT, 'scripts/go-tools/render-config/main.go');
const BASE = 'failover-local/debian:bookworm';
const BUILD_BUDGET_MS = 12 * 60_000;

export const imageCache = () => process.env.FAILOVER_IMAGE_CACHE ?? join(homedir(), '.cache/failover/images');

export interface StandIns {
  NODE_IMAGE: string;
  POSTGRES_IMAGE: string;
  TEMPORAL_IMAGE: string;
  TEMPORAL_ADMIN_TOOLS_IMAGE: string;
  TEMPORAL_UI_IMAGE: string;
  PUBSUB_EMULATOR_IMAGE: string;
}

interface Recipe {
  /** Folder under docker/standins/ and image name. */
  name: string;
  /** What else the image is made of, for its tag (versions of the binaries put in it). */
  inputs: () => string;
  /** Puts the binaries into the build context. */
  fill: (ctx: string, signal: AbortSignal) => Promise<void> | void;
}

const RECIPES_BY_VAR: Record<keyof StandIns, Recipe> = {
  POSTGRES_IMAGE: { name: 'postgres', inputs: () => '', fill: () => {} },
  // temporalio/server's layout: the server, the CLI its health check runs, Temporal's own config
  // template rendered by the entrypoint (render-config stands in for the official image's dockerize).
  TEMPORAL_IMAGE: {
    name: 'temporal-server',
    inputs: () => readFileSync(GO_MOD, 'utf8') + readFileSync(RENDER_CONFIG_SRC, 'utf8'),
    async fill(ctx) {
      const bins = await ensureTemporalBinaries();
      const server = await goModuleDir('go.temporal.io/server');
      mkdirSync(join(ctx, 'bin'));
      cpSync(bins.server, join(ctx, 'bin/temporal-server'));
      cpSync(await temporalCli(), join(ctx, 'bin/temporal'));
      cpSync(await renderConfig(), join(ctx, 'bin/render-config'));
      mkdirSync(join(ctx, 'config/dynamicconfig'), { recursive: true });
      cpSync(join(server, 'docker/config_template.yaml'), join(ctx, 'config/config_template.yaml'));
      cpSync(join(server, 'config/dynamicconfig/docker.yaml'), join(ctx, 'config/dynamicconfig/docker.yaml'));
    },
  },
  // temporalio/admin-tools' layout, as much of it as the schema one-shot runs.
  TEMPORAL_ADMIN_TOOLS_IMAGE: {
    name: 'temporal-admin-tools',
    inputs: () => readFileSync(GO_MOD, 'utf8'),
    async fill(ctx) {
      const bins = await ensureTemporalBinaries();
      mkdirSync(join(ctx, 'bin'));
      cpSync(bins.sql, join(ctx, 'bin/temporal-sql-tool'));
      cpSync(join(bins.schema.temporal, '../../../..'), join(ctx, 'schema'), { recursive: true });
    },
  },
  TEMPORAL_UI_IMAGE: {
    name: 'ui',
    inputs: () => readFileSync(GO_MOD, 'utf8'),
    async fill(ctx) {
      // The UI server at the version the Temporal CLI embeds: its packages are already compiled.
      const bin = join(
        ROOT,
        '.tools',
        `ui-server-${createHash('sha256').update(readFileSync(GO_MOD)).digest('hex').slice(0, 12)}`,
      );
      if (!existsSync(bin)) await goTool('github.com/temporalio/ui-server/v2/cmd/server', bin);
      mkdirSync(join(ctx, 'bin'));
      cpSync(bin, join(ctx, 'bin/server'));
      cpSync(join(await goModuleDir('github.com/temporalio/ui-server/v2'), 'config'), join(ctx, 'config'), {
        recursive: true,
      });
    },
  },
  PUBSUB_EMULATOR_IMAGE: {
    name: 'pubsub',
    inputs: () => readdirSync(join(pubsubEmulatorDir(), 'lib')).sort().join(','),
    fill: (ctx) => cpSync(pubsubEmulatorDir(), join(ctx, 'pubsub-emulator'), { recursive: true }),
  },
  NODE_IMAGE: {
    name: 'node',
    inputs: () =>
      `${process.version} npm ${JSON.parse(readFileSync(join(hostNpmDir(), 'package.json'), 'utf8')).version}`,
    fill(ctx) {
      cpSync(hostNode24(), join(ctx, 'node'));
      cpSync(hostNpmDir(), join(ctx, 'npm'), { recursive: true });
      cpSync('/etc/ssl/certs/ca-certificates.crt', join(ctx, 'ca-certificates.crt'));
    },
  },
};

/** The project's own image as the compose file builds it (same context and arguments: compose's build then hits its layers). */
export const APP_IMAGE = 'failover:e2e';
export async function buildAppImage(engine: Engine, nodeImage: string): Promise<void> {
  await step('images', `${APP_IMAGE} (Dockerfile: npm install inside)`, BUILD_BUDGET_MS, (signal) =>
    engine.run(
      ['build', '--network', 'host', '--build-arg', `NODE_IMAGE=${nodeImage}`, '-t', APP_IMAGE, '-q', ROOT],
      signal,
    ),
  );
}

/** The stand-ins, from the engine, else the machine's cache, else built (concurrently: mostly downloads). */
export async function buildStandIns(engine: Engine): Promise<StandIns> {
  await step('images', 'Debian base (debootstrap)', BUILD_BUDGET_MS, (signal) => ensureBase(engine, signal));
  const entries = await Promise.all(
    Object.entries(RECIPES_BY_VAR).map(async ([key, recipe]) => [key, await ensureImage(engine, recipe)] as const),
  );
  return Object.fromEntries(entries) as unknown as StandIns;
}

async function ensureImage(engine: Engine, recipe: Recipe): Promise<string> {
  const hash = createHash('sha256')
    .update(hashOf(join(RECIPES, recipe.name)))
    .update(recipe.inputs());
  const tag = `failover-local/${recipe.name}:${hash.digest('hex').slice(0, 12)}`;
  if (imageExists(engine, tag)) return tag;
  const cached = join(imageCache(), `${recipe.name}-${tag.split(':')[1]}.tar`);
  if (existsSync(cached)) {
    await step('images', `${tag} (load from ${imageCache()})`, BUILD_BUDGET_MS, (signal) =>
      engine.run(['load', '-q', '-i', cached], signal),
    );
    return tag;
  }
  await step('images', `${tag} (build)`, BUILD_BUDGET_MS, async (signal) => {
    const ctx = join(CONTEXTS, recipe.name);
    rmSync(ctx, { recursive: true, force: true });
    cpSync(join(RECIPES, recipe.name), ctx, { recursive: true });
    await recipe.fill(ctx, signal);
    await engine.run(['build', '--network', 'host', '--build-arg', `BASE_IMAGE=${BASE}`, '-t', tag, '-q', ctx], signal);
    rmSync(ctx, { recursive: true, force: true });
  });
  await step('images', `${tag} (save to the machine's cache)`, BUILD_BUDGET_MS, async (signal) => {
    mkdirSync(imageCache(), { recursive: true });
    // Older builds of this image are of no further use (only this name's: temporal-<tag> is not temporal-server-<tag>).
    const older = new RegExp(`^${recipe.name}-[0-9a-f]{12}\\.tar$`);
    for (const f of readdirSync(imageCache())) if (older.test(f)) rmSync(join(imageCache(), f), { force: true });
    await engine.run(['save', '-o', `${cached}.tmp`, tag], signal);
    await exec('mv', [`${cached}.tmp`, cached]);
  });
  return tag;
}

/** The Debian base: debootstrap minbase from the host's mirror, its tarball kept in the machine's cache. */
async function ensureBase(engine: Engine, signal: AbortSignal): Promise<void> {
  if (imageExists(engine, BASE)) return;
  const tarball = join(imageCache(), 'debian-bookworm-minbase.tar');
  if (!existsSync(tarball)) {
    mkdirSync(imageCache(), { recursive: true });
    const dir = mkdtempSync(join(imageCache(), 'rootfs-'));
    try {
      await exec('debootstrap', ['--variant=minbase', 'bookworm', dir, debianMirror()], { quiet: true, signal });
      for (const sub of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
        rmSync(join(dir, sub), { recursive: true, force: true });
        mkdirSync(join(dir, sub, 'partial'), { recursive: true });
      }
      await exec('sh', ['-c', `tar -C '${dir}' -c . > '${tarball}.tmp' && mv '${tarball}.tmp' '${tarball}'`], {
        signal,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await engine.run(['import', tarball, BASE], signal);
}

function imageExists(engine: Engine, tag: string): boolean {
  try {
    engine.docker(['image', 'inspect', tag], { quiet: true });
    return true;
  } catch {
    return false;
  }
}

/** Paths and contents under `dir`, so a changed recipe makes a new tag. */
function hashOf(dir: string): string {
  const h = createHash('sha256');
  const walk = (p: string) => {
    if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) walk(join(p, f));
    else h.update(p.slice(ROOT.length)).update(readFileSync(p));
  };
  walk(dir);
  return h.digest('hex');
}

/** The Debian mirror the host's apt uses (deb.debian.org when none is named). */
export function debianMirror(): string {
  const files = [
    '/etc/apt/sources.list',
    ...(existsSync('/etc/apt/sources.list.d')
      ? readdirSync('/etc/apt/sources.list.d').map((f) => join('/etc/apt/sources.list.d', f))
      : []),
  ];
  for (const f of files) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^(?:URIs:\s*(\S+)|deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s)/gm)) {
      const uri = m[1] ?? m[2]!;
      if (/debian\/?$/.test(uri) && !/security/.test(uri)) return uri;
    }
  }
  return 'http://deb.debian.org/debian';
}

/** The Temporal CLI scripts/run.sh provides ($TEMPORAL_CLI), else the one it builds into .tools/bin. */
async function temporalCli(): Promise<string> {
  const env = process.env.TEMPORAL_CLI;
  if (env && existsSync(env)) return env;
  const local = join(ROOT, '.tools/bin/temporal');
  if (!existsSync(local)) await goTool('github.com/temporalio/cli/cmd/temporal', local);
  return local;
}

/** The server stand-in's config renderer (scripts/go-tools/render-config), built once per source. */
async function renderConfig(): Promise<string> {
  const hash = createHash('sha256').update(readFileSync(GO_MOD)).update(readFileSync(RENDER_CONFIG_SRC));
  const bin = join(ROOT, '.tools', `render-config-${hash.digest('hex').slice(0, 12)}`);
  if (!existsSync(bin)) await goTool('failover.local/go-tools/render-config', bin);
  return bin;
}

/** Where the host's Google Cloud CLI keeps its Pub/Sub emulator (gcloud beta emulators pubsub start). */
function pubsubEmulatorDir(): string {
  const candidates = [
    '/usr/lib/google-cloud-sdk/platform/pubsub-emulator',
    '/usr/share/google-cloud-sdk/platform/pubsub-emulator',
    '/opt/google-cloud-sdk/platform/pubsub-emulator',
  ];
  try {
    const root = execFileSync('gcloud', ['info', '--format=value(installation.sdk_root)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    candidates.unshift(join(root, 'platform/pubsub-emulator'));
  } catch {
    /* no gcloud on PATH: the fixed places */
  }
  const found = candidates.find((c) => existsSync(join(c, 'bin/cloud-pubsub-emulator')));
  if (!found)
    throw new Error(
      'the Pub/Sub emulator is not installed on this host (gcloud components install pubsub-emulator, or apt-get install google-cloud-cli-pubsub-emulator)',
    );
  return found;
}

/** The Node 24 binary running this (scripts/run.sh provides one). */
function hostNode24(): string {
  if (Number(process.versions.node.split('.')[0]) !== 24)
    throw new Error(`Node 24 expected for the image stand-in, running ${process.version}`);
  return process.execPath;
}

function hostNpmDir(): string {
  for (const d of [
    '/usr/lib/node_modules/npm',
    '/usr/local/lib/node_modules/npm',
    join(process.execPath, '../../lib/node_modules/npm'),
  ]) {
    if (existsSync(join(d, 'bin/npm-cli.js'))) return d;
  }
  throw new Error('no npm found on the host to put in the Node stand-in image');
}
