/**
 * Times the steps of one operation, for a debug line such as
 * `run sandbox "3f2a": pin 1.2ms, network 31.0ms, infra 38.4ms`: where a pod start spends
 * its time is the first thing to know when it is slow.
 */
export function stepTimer(): { mark(step: string): void; summary(): string } {
  let last = performance.now();
  const steps: string[] = [];
  return {
    mark(step) {
      const now = performance.now();
      steps.push(`${step} ${(now - last).toFixed(1)}ms`);
      last = now;
    },
    summary: () => steps.join(", "),
  };
}
