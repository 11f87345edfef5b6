/**
 * The architecture, checked in CI (`npm run deps:check`):
 * - src/modules holds the domain and its use cases; it never reaches into src/adapters
 *   and never talks to the outside world directly (no broker, database driver, HTTP server).
 * - The modules are layered (MODULE_LAYERS): each imports only modules listed before it, so no
 *   cycle between modules can be written — not only between files. `npm run deps:map` draws it.
 * - src/adapters: one folder per transport or driven side. An adapter imports another adapter's
 *   code only through the composition roots (app, and cli, whose commands build their own
 *   contexts), plus the three kits every adapter may use and that import only each other:
 *   config (validated once), spool (uploads on disk) and workers (thread pools).
 * - tools/ (the bench, the chaos harness, the test PKI) may use src; src never imports tools/, and the
 *   production build (tsconfig.build.json) leaves tools/ out.
 * - no cycles between files.
 */
const MODULE_LAYERS = [
  'shared',
  'xml',
  'trust',
  'registry',
  'edoc',
  'audit',
  'delivery',
  'dead-letters',
  'retention',
  'routing',
  'bridge',
  'console',
];
const COMPOSITION_ROOTS = ['app', 'cli'];
const ADAPTER_KITS = ['config', 'spool', 'workers'];

const layerRules = MODULE_LAYERS.slice(0, -1).map((module, i) => ({
  name: `module-${module}-imports-only-lower-layers`,
  severity: 'error',
  comment: `${module} may import ${MODULE_LAYERS.slice(0, i).join(', ') || 'no other module'}; a module above it depends on it, not the other way round.`,
  from: { path: `^src/modules/${module}/` },
  to: { path: `^src/modules/(${MODULE_LAYERS.slice(i + 1).join('|')})/` },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'modules-are-placed-in-a-layer',
      severity: 'error',
      comment: 'A new folder in src/modules goes into MODULE_LAYERS, which decides what it may import.',
      from: { path: '^src/modules/', pathNot: `^src/modules/(${MODULE_LAYERS.join('|')})/` },
      to: {},
    },
    {
      name: 'adapters-import-other-adapters-only-through-app',
      severity: 'error',
      comment:
        'Adapters meet in the composition roots (app, cli): an adapter needing another gets it injected, through a port.',
      from: { path: '^src/adapters/([^/]+)/', pathNot: `^src/adapters/(${COMPOSITION_ROOTS.join('|')})/` },
      to: { path: '^src/adapters/', pathNot: `^src/adapters/($1|${ADAPTER_KITS.join('|')})/` },
    },
    {
      name: 'adapter-kits-import-only-kits',
      severity: 'error',
      from: { path: `^src/adapters/(${ADAPTER_KITS.join('|')})/` },
      to: { path: '^src/adapters/', pathNot: `^src/adapters/(${ADAPTER_KITS.join('|')})/` },
    },
    {
      name: 'modules-never-import-adapters',
      severity: 'error',
      comment: 'Use cases depend on ports (abstract classes in src/modules); adapters implement them.',
      from: { path: '^src/modules' },
      to: { path: '^src/adapters' },
    },
    {
      name: 'modules-never-touch-transports-or-drivers',
      severity: 'error',
      comment: 'Broker, database, HTTP and process I/O belong to adapters, behind a port.',
      from: { path: '^src/modules', pathNot: '\\.spec\\.ts$' },
      to: {
        path: 'node_modules/(amqplib|pg|typeorm|@nestjs/typeorm|@nestjs/platform-express|express|piscina|prom-client|@nestjs/terminus|commander|cli-progress)/',
      },
    },
    {
      name: 'modules-never-use-network-or-child-processes',
      severity: 'error',
      from: { path: '^src/modules', pathNot: '\\.spec\\.ts$' },
      to: { dependencyTypes: ['core'], path: '^(http|https|net|tls|dgram|child_process|cluster)$' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'no-tools-in-production',
      severity: 'error',
      comment:
        'The bench, the chaos harness and the test PKI (tools/) drive the product; the product never needs them.',
      from: { path: '^src' },
      to: { path: '^tools/' },
    },
    {
      name: 'no-test-code-in-production',
      severity: 'error',
      from: { path: '^src', pathNot: '\\.spec\\.ts$' },
      to: { path: '(^test/|\\.spec\\.ts$)' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
