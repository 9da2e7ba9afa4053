// Dependency rules, checked by `npm run depcruise` (dependency-cruiser) in .ci/run.
//
// src/ is layered; a module may import from its own layer or any layer below it, never from one above:
//
//   entry points      src/main.ts, src/model-server.ts, src/cli/, src/dev/ (local processes for tests and bench)
//   composition root  src/app.ts (the only place the parts are wired together), src/wiring/ (wrappers it puts around parts)
//   inbound           src/http/, src/events/ (requests and purchase events arriving from outside)
//   GraphQL           src/graphql/, src/generated/ (resolver types generated from schema.graphql)
//   purchases         src/purchases/ (a purchase invalidates through the recommendation service)
//   domain            src/recs/, src/freshness/, src/auth/, src/limits/
//   storage           src/cache/ (stores, keys, entry formats, freshness arithmetic)
//   model             src/model/ (what a ranked list is, and who computes it)
//   foundations       src/telemetry/, src/errors.ts, src/config.ts (and nats-subjects.ts, the subject rules it checks)
//
// Nothing below the GraphQL layer loads graphql-js or Apollo: its errors are plain ClientErrors (src/errors.ts) that
// src/graphql/error-mapping.ts maps.
//
// Around src/: test/ may import anything in src/ and test/; bench/ and scripts/ stand on src/ alone; src/ imports
// none of them. No cycles anywhere, type-only imports included (they are what keeps a layer's types honest).

/** Highest first. Each entry is one layer: a regular expression over paths relative to the repository root. */
const LAYERS = [
  { name: 'entry points', path: '^src/(main\\.ts|model-server\\.ts|cli/|dev/)' },
  { name: 'composition root', path: '^src/(app\\.ts$|wiring/)' },
  { name: 'inbound', path: '^src/(http|events)/' },
  { name: 'GraphQL', path: '^src/(graphql|generated)/' },
  { name: 'purchases', path: '^src/purchases/' },
  { name: 'domain', path: '^src/(recs|freshness|auth|limits)/' },
  { name: 'storage', path: '^src/cache/' },
  { name: 'model', path: '^src/model/' },
  { name: 'foundations', path: '^src/(telemetry/|errors\\.ts$|config\\.ts$|nats-subjects\\.ts$)' },
];

/** The layers below GraphQL (purchases, domain, storage, model, foundations), which must not depend on it. */
const GRAPHQL_FREE = LAYERS.slice(LAYERS.findIndex((layer) => layer.name === 'purchases')).map((layer) => layer.path);

/** One rule per layer: nothing in it imports from any layer listed above it. */
const upwardImports = LAYERS.slice(1).map((layer, index) => ({
  name: `no-upward-import-from-${layer.name.replaceAll(' ', '-')}`,
  comment: `${layer.name} must not import from a layer above it (${LAYERS.slice(0, index + 1)
    .map((above) => above.name)
    .join(', ')})`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(0, index + 1).map((above) => above.path) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved without the other.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...upwardImports,
    {
      name: 'no-graphql-below-the-graphql-layer',
      comment:
        'Below src/graphql/ nothing loads graphql-js or Apollo: errors raised there are plain ClientErrors (errors.ts), ' +
        'which src/graphql/error-mapping.ts turns into GraphQL errors.',
      severity: 'error',
      from: { path: GRAPHQL_FREE },
      to: { path: '^node_modules/(graphql|graphql-[^/]+|@apollo/[^/]+)/' },
    },
    {
      name: 'src-stands-alone',
      comment: 'The product never imports its tests, benchmarks or scripts.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|scripts)/' },
    },
    {
      name: 'bench-and-scripts-stand-on-src',
      comment: 'bench/ and scripts/ may use src/ (and their own folder), never the test suite.',
      severity: 'error',
      from: { path: '^(bench|scripts)/' },
      to: { path: '^test/' },
    },
    {
      name: 'no-unlayered-src',
      comment: 'Every module under src/ belongs to a layer above; a new top-level folder needs a place in LAYERS.',
      severity: 'error',
      from: { path: '^src/', pathNot: LAYERS.map((layer) => layer.path) },
      to: {},
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing (a typo, a package missing from package.json).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle or an upward import through types is still one.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
