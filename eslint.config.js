import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// Layers (docs/architecture.md): a folder imports only itself and the layers below it.
//   workflows ← activities ← config ← clients ← worker, starters
// bench/, drill/, scripts/, sandbox/ and test/ are harnesses: they may import any layer, but no process
// entry. What they share lives in harness/, which no production layer imports.
const BELOW = {
  workflows: [],
  activities: ['workflows'],
  config: ['workflows', 'activities'],
  clients: ['workflows', 'activities', 'config'],
  worker: ['workflows', 'activities', 'config', 'clients'],
  starters: ['workflows', 'activities', 'config', 'clients'],
};
const LAYERS = Object.keys(BELOW);

// A process entry is run, never imported: its top level starts the process.
const ENTRY = {
  regex: '(^|/)(main|location|start)\\.ts$',
  message:
    'A process entry (main.ts, worker/location.ts, scripts/start.ts) is run, not imported; import what it uses instead.',
};

// Test data and local servers stay out of production code.
const HARNESS = {
  regex: '^(\\.\\./)+harness/',
  message: 'harness/ holds what the tests, drill, benchmarks and scripts share; production code does not import it.',
};

/** A harness folder imports what it shares with the others from harness/, not from another harness folder. */
function harnessRule(folder, forbidden) {
  const patterns = [
    ENTRY,
    {
      regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
      message: `${folder}/ imports shared helpers from harness/, not from ${forbidden.join(', ')}/.`,
    },
  ];
  return { files: [`${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

function layerRule(layer) {
  // Workflows may import activity types (from activities/index.ts only): checked below.
  const forbidden = LAYERS.filter(
    (l) => l !== layer && !BELOW[layer].includes(l) && !(layer === 'workflows' && l === 'activities'),
  );
  const patterns = [ENTRY, HARNESS];
  if (forbidden.length) {
    patterns.push({
      regex: `^(\\.\\./)+(${forbidden.join('|')})/`,
      message: `${layer}/ may import only ${BELOW[layer].join(', ') || 'itself'} (docs/architecture.md).`,
    });
  }
  if (layer === 'workflows') {
    patterns.push(
      {
        group: ['node:*', 'fs', 'http', 'https', 'net', 'crypto', 'child_process'],
        message: 'Workflows must not do I/O; call an activity.',
      },
      {
        regex: '^\\.\\./activities/(?!index\\.ts$)',
        message: 'Workflows import only activity types, from activities/index.ts.',
      },
    );
  }
  return { files: [`${layer}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

export default tseslint.config(
  { ignores: ['node_modules/', '.tools/', '.data/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [ENTRY] }],
    },
  },
  ...LAYERS.map(layerRule),
  // Production code reads in one screen: a function that outgrows it is split by what it does.
  {
    files: LAYERS.map((l) => `${l}/**/*.ts`),
    rules: {
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
    },
  },
  harnessRule('harness', ['test', 'drill', 'bench', 'scripts']),
  harnessRule('drill', ['test', 'bench', 'scripts']),
  harnessRule('bench', ['test', 'drill', 'scripts']),
  harnessRule('scripts', ['test', 'drill', 'bench']),
  prettier,
);
