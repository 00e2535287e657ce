/**
 * What a process does in the fake HCS. The fake runs no programs; it reads the command
 * line the way cmd.exe would read a few builtins, so tests can see output, exit codes,
 * the environment and the working directory a process was given:
 *
 * - `cmd /c <statements>`: statements separated by `&&` or ` & `: `echo TEXT` (stdout,
 *   `echo TEXT 1>&2` to stderr), `exit /b N` or `exit N`, `set` (the environment, sorted),
 *   `cd` (the working directory), `whoami` (the user), `timeout /t N` (waits N seconds or
 *   until stopped); anything else prints cmd's "not recognized" line and exits 1.
 * - any other program (`pause.exe`, `ping -t ...`) runs until it is signalled (exit 0) or
 *   terminated (exit 1), like a server.
 */
import { FakePipe } from "./fake-pipe.ts";

export type FakeProcessParams = {
  CommandLine?: string;
  WorkingDirectory?: string;
  Environment?: Record<string, string>;
  User?: string;
  EmulateConsole?: boolean;
  CreateStdInPipe?: boolean;
  CreateStdOutPipe?: boolean;
  CreateStdErrPipe?: boolean;
};

/** Exit code of a process stopped by TerminateProcess or by its compute system stopping. */
export const FAKE_TERMINATED_EXIT = 1;

const enc = new TextEncoder();

export class FakeProcess {
  readonly stdin?: FakePipe;
  readonly stdout?: FakePipe;
  readonly stderr?: FakePipe;
  exitCode: number | undefined;
  readonly #stop: { wake?: () => void; stopped: boolean } = { stopped: false };
  readonly done: Promise<void>;

  constructor(
    readonly pid: number,
    readonly params: FakeProcessParams,
  ) {
    if (params.CreateStdInPipe) this.stdin = new FakePipe();
    if (params.CreateStdOutPipe) this.stdout = new FakePipe();
    // With a console (EmulateConsole) HCS gives no separate stderr.
    if (params.CreateStdErrPipe && !params.EmulateConsole) this.stderr = new FakePipe();
    this.done = this.#run();
  }

  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  /** A console control event (CtrlShutdown, CtrlC...): the program ends cleanly. */
  signal(): void {
    this.#finish(0);
  }

  terminate(code = FAKE_TERMINATED_EXIT): void {
    this.#finish(code);
  }

  #finish(code: number): void {
    if (this.exited) return;
    this.exitCode = code;
    this.stdout?.end();
    this.stderr?.end();
    this.#stop.stopped = true;
    this.#stop.wake?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#stop.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  async #run(): Promise<void> {
    await Promise.resolve();
    const script = /^\s*(?:cmd(?:\.exe)?)\s+\/[cC]\s+(.*)$/s.exec(this.params.CommandLine ?? "");
    if (!script) {
      // A server: waits until it is stopped.
      while (!this.#stop.stopped) await this.#sleep(60_000);
      return;
    }
    let code = 0;
    const body = (script[1] ?? "").replace(/^"(.*)"$/s, "$1");
    for (const raw of body.split(/\s*&&\s*|\s+&\s+/)) {
      if (this.#stop.stopped) return;
      const stmt = raw.trim();
      const result = await this.#statement(stmt);
      if (result === "exit") return;
      code = result;
      if (code !== 0 && /&&/.test(body)) break;
    }
    this.#finish(code);
  }

  async #statement(stmt: string): Promise<number | "exit"> {
    const out = (pipe: FakePipe | undefined, text: string) => pipe?.push(enc.encode(`${text}\r\n`));
    let m: RegExpExecArray | null;
    if ((m = /^echo\s+(.*?)\s*1>&2$/is.exec(stmt))) {
      out(this.stderr ?? this.stdout, m[1] ?? "");
      return 0;
    }
    if ((m = /^echo\s+(.*)$/is.exec(stmt))) {
      out(this.stdout, m[1] ?? "");
      return 0;
    }
    if ((m = /^exit(?:\s+\/b)?\s+(-?\d+)$/i.exec(stmt))) {
      this.#finish(Number(m[1]));
      return "exit";
    }
    if (/^set$/i.test(stmt)) {
      const env = this.params.Environment ?? {};
      for (const k of Object.keys(env).sort()) out(this.stdout, `${k}=${env[k]}`);
      return 0;
    }
    if (/^cd$/i.test(stmt)) {
      out(this.stdout, this.params.WorkingDirectory ?? "C:\\");
      return 0;
    }
    if (/^whoami$/i.test(stmt)) {
      out(this.stdout, this.params.User || "user manager\\containeradministrator");
      return 0;
    }
    if ((m = /^timeout\s+\/t\s+(\d+)/i.exec(stmt))) {
      await this.#sleep(Number(m[1]) * 1000);
      return 0;
    }
    const name = stmt.split(/\s+/)[0] ?? "";
    out(this.stderr ?? this.stdout, `'${name}' is not recognized as an internal or external command,`);
    return 1;
  }
}
