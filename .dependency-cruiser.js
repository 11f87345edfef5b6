/**
 * The architecture, checked in CI (`npm run deps:check`):
 * - src/modules holds the domain and its use cases; it never reaches into src/adapters
 *   and never talks to the outside world directly (no broker, database driver, HTTP server).
 * - src/adapters are the driving and driven adapters; one adapter does not depend on
 *   another adapter's internals except through the shared wiring in src/adapters/app.
 * - no cycles.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
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
