// A value that must never reach a log, an API answer or an error message. Every accidental way of
// printing it (String(), JSON.stringify, util.inspect, template literals) yields `[redacted]`; the
// only way to read it is an explicit `reveal()`, which is easy to grep for in review.
import { inspect } from 'node:util';

const REDACTED = '[redacted]';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  /** Last four characters, for display as `…abcd`; empty for short secrets. */
  lastFour(): string {
    return this.#value.length >= 12 ? this.#value.slice(-4) : '';
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
