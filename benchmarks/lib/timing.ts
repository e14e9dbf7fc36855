/** Timing helpers shared by the benchmarks: process CPU time, and wall plus CPU time per call. */

/** Process CPU time (user + system) so far, in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Call `f` `warmup` times untimed, then `runs` times, returning each timed call's wall and CPU ms. */
export function timeRuns(f: () => void, runs: number, warmup: number): { wall: number[]; cpu: number[] } {
  for (let i = 0; i < warmup; i++) f();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const w0 = performance.now();
    const c0 = cpuMs();
    f();
    cpu.push(cpuMs() - c0);
    wall.push(performance.now() - w0);
  }
  return { wall, cpu };
}
