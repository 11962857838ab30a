// Room arrows for fleetbench (see docs/architecture.md). Run via `npm run lint`:
//   depcruise core simulator loadgen reports scenarios cli bench test --config .dependency-cruiser.cjs
// Paths are relative to the repository root. A test file is `*.test.ts`; test/support/ is test code
// that is not itself a test file. Every rule is an error, so depcruise exits non-zero on any violation.

const TEST_FILE = '\\.test\\.ts$'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-imports-no-room',
      severity: 'error',
      comment:
        'core (the kernel) imports no other room: not simulator, loadgen, reports, scenarios, cli, bench or test. See docs/architecture.md',
      from: { path: '^core/', pathNot: TEST_FILE },
      to: { path: '^(simulator|loadgen|reports|scenarios|cli|bench|test)/' },
    },
    {
      name: 'simulator-imports-only-core',
      severity: 'error',
      comment:
        'simulator (device side) imports only core and itself: not loadgen, reports, scenarios, cli, bench or test. See docs/architecture.md',
      from: { path: '^simulator/', pathNot: TEST_FILE },
      to: { path: '^(loadgen|reports|scenarios|cli|bench|test)/' },
    },
    {
      name: 'loadgen-imports-only-core',
      severity: 'error',
      comment:
        'loadgen (caller side) imports only core and itself: not simulator, reports, scenarios, cli, bench or test. See docs/architecture.md',
      from: { path: '^loadgen/', pathNot: TEST_FILE },
      to: { path: '^(simulator|reports|scenarios|cli|bench|test)/' },
    },
    {
      name: 'reports-imports-only-core',
      severity: 'error',
      comment:
        'reports imports only core and itself: not simulator, loadgen, scenarios, cli, bench or test. See docs/architecture.md',
      from: { path: '^reports/', pathNot: TEST_FILE },
      to: { path: '^(simulator|loadgen|scenarios|cli|bench|test)/' },
    },
    {
      name: 'scenarios-not-to-cli-bench-test',
      severity: 'error',
      comment:
        'scenarios composes core, simulator, loadgen and reports; it never imports cli, bench or test. See docs/architecture.md',
      from: { path: '^scenarios/', pathNot: TEST_FILE },
      to: { path: '^(cli|bench|test)/' },
    },
    {
      name: 'cli-not-to-bench-test',
      severity: 'error',
      comment:
        'cli (command entry points) may import any room except bench and test. See docs/architecture.md',
      from: { path: '^cli/', pathNot: TEST_FILE },
      to: { path: '^(bench|test)/' },
    },
    {
      name: 'production-not-to-test',
      severity: 'error',
      comment:
        'no production (non-test) file outside test/ imports from test/: test doubles and contract suites live in test/support/ for tests only. See docs/architecture.md',
      from: { pathNot: ['^test/', '^bench/', TEST_FILE] },
      to: { path: '^test/' },
    },
    {
      name: 'bench-only-to-test-support',
      severity: 'error',
      comment:
        'bench (side-by-side measurements, never shipped or run by tests) may start the real peers the integration tests start (test/support/, e.g. Mosquitto), but imports no test file. See docs/architecture.md',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'room-tests-stay-in-room',
      severity: 'error',
      comment:
        'a *.test.ts inside core, simulator, loadgen or reports imports only its own room, core and test/support/ (e.g. a loadgen test never imports simulator); tests under test/ may import anything. See docs/architecture.md',
      from: { path: '^(core|simulator|loadgen|reports)/.*\\.test\\.ts$' },
      to: {
        path: '^(core|simulator|loadgen|reports|scenarios|cli|bench|test)/',
        pathNot: '^($1|core|test/support)/',
      },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'no import cycles among non-test files: every arrow between modules points one way. See docs/architecture.md',
      from: { pathNot: TEST_FILE },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable-local',
      severity: 'error',
      comment:
        'a relative import that does not resolve to a file would slip past every arrow above (its target has no room), so it is an error too',
      from: {},
      to: { couldNotResolve: true, path: '^\\.' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsConfig: { fileName: 'tsconfig.json' },
    // count `import type` too: a type-only arrow is still an arrow
    tsPreCompilationDeps: true,
    // es6 covers static `import`, `export ... from` and dynamic `import('../x.ts')`.
    // `new URL('./x', import.meta.url)` is not a module import and is ignored (as are tsImport/fork paths).
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      // explicit `.ts` specifiers (allowImportingTsExtensions) resolve as plain files
      extensions: ['.ts', '.mjs', '.js', '.cjs', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}
