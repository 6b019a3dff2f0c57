// How many runs a fuzz property gets: a few hundred in the tests, as many as NEVA_FUZZ_RUNS says
// in `make fuzz`.
export function fuzzRuns(inTests = 300): number {
  const n = Number(process.env.NEVA_FUZZ_RUNS)
  return Number.isInteger(n) && n > 0 ? n : inTests
}
