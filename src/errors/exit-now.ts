// The one way for code below main.ts to end the process with a given exit code: throw this and let
// main.ts, the only place that sets the exit code, do it.

/**
 * Something must end the process now: a shutdown that cannot finish (a second signal, or the grace
 * period ran out, while something still holds the event loop), or a CLI whose stdout reader went away.
 */
export class ExitNow extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'ExitNow';
  }
}
