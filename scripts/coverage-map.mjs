// tap's coverage map (.taprc `coverage-map`): for each test file, which files its processes
// record coverage of. [] is tap's default (every source file they load); null records none.
// The benchmark tests record none: block coverage slows their CPU-bound subprocesses about
// twofold (cli/test/bench.test.ts went from ~150 s to ~280 s), and a benchmark that runs code
// is no test of it. docs/testing.md lists what that leaves uncounted.
export default (testFile) => (/(^|\/)bench\.test\.ts$/.test(testFile) ? null : [])
