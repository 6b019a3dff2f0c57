// Unless `--child-coverage` is given, the runner loads this into each test process (after tap's
// processinfo): the node processes a test spawns (./bin/neva, gateways, cores) are still tracked
// by tap but record no coverage, which takes most of coverage's cost off the suite's time.
// (Worker threads are not spawned processes: they inherit the test process's coverage.)
import processOnSpawn from 'process-on-spawn'

processOnSpawn.addListener((o) => {
  o.env = { ...(o.env ?? process.env), _TAPJS_PROCESSINFO_COVERAGE_: '0' }
})
