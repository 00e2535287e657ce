/** Wakes everyone waiting for "something changed" (a window grew, a stream ended). */
export class Signal {
  private waiters: (() => void)[] = [];

  wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }
}
