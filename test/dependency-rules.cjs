// Import boundaries of src/, checked by dependency-cruiser in `npm test` (npm run boundaries).
// docs/architecture.md explains why each rule exists; a violation fails the test command.
const IO_MODULES = [
  '^(node:)?(net|http|https|http2|tls|fs|fs/promises|dgram|dns|dns/promises|child_process|worker_threads|cluster)$',
  '^(better-sqlite3|kysely|fastify|@fastify/.+|proxy-chain|undici|pino|pino-pretty|pg)$',
].join('|');

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles hide layering mistakes and make start-up order fragile.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'pure-core-no-io',
      severity: 'error',
      comment:
        'decide/ and connectors/ are the pure core: the same code runs in the gateway, the control plane and ' +
        'offline tools, and is unit-tested without servers. They import no network, file or database module.',
      from: { path: '^src/(decide|connectors)/', pathNot: '\\.test\\.ts$' },
      to: { path: IO_MODULES },
    },
    {
      name: 'pure-core-stays-inside',
      severity: 'error',
      comment:
        'The pure core imports only itself, config types and the error catalogue, and the types of the ' +
        'sync contract (the configuration snapshot it is handed).',
      from: { path: '^src/(decide|connectors)/', pathNot: '\\.test\\.ts$' },
      to: {
        path: '^src/',
        pathNot: '^src/(decide|connectors|errors|config)/|^src/sync/snapshot\\.ts$',
      },
    },
    {
      name: 'pure-core-contract-types-only',
      severity: 'error',
      comment: 'From the sync contract the pure core takes types, never code.',
      from: { path: '^src/(decide|connectors)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^src/sync/snapshot\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'routes-no-database',
      severity: 'error',
      comment: 'Routes speak HTTP; every query lives in the resource store beside them.',
      from: { path: '^src/control/.+-routes\\.ts$' },
      to: { path: '^(better-sqlite3|kysely)$|^src/storage/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'cli-through-api',
      severity: 'error',
      comment:
        'CLI commands reach the daemon only through the API client. init, serve and prune work on the ' +
        'data directory itself (SPEC 9); systemd-unit only prints text.',
      from: {
        path: '^src/cli/',
        pathNot: '^src/cli/commands/(init|serve|prune|systemd-unit)-command\\.ts$|\\.test\\.ts$',
      },
      // data-dir-paths only names the files of the data directory (cli.token, the CA bundle).
      to: {
        path: '^src/(control|gateway|storage|daemon|vault|audit|sync|tokens|approvals)/',
        pathNot: '^src/daemon/data-dir-paths\\.ts$',
      },
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      comment: 'Product code never imports tests or test helpers.',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { path: '^test/|\\.test\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|web/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
