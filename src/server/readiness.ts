/** Where the daemon is in its life; the readiness interceptor answers `Unavailable` outside "ready". */
export type ReadinessState = "starting" | "ready" | "stopping";

/** A small mutable holder, shared by the server, the interceptors and the shutdown path. */
export class Readiness {
  #state: ReadinessState = "starting";
  #reason = "skiff is starting";

  get state(): ReadinessState {
    return this.#state;
  }

  get reason(): string {
    return this.#reason;
  }

  ready(): void {
    this.#state = "ready";
    this.#reason = "";
  }

  stopping(): void {
    this.#state = "stopping";
    this.#reason = "skiff is shutting down";
  }
}
