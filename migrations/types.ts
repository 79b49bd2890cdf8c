import type { Kysely } from 'kysely';

/** A migration is frozen once released: never edit one, add the next. */
export interface Migration {
  readonly name: string; // e.g. '0001_init', sorts in order of application
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before the typed schema exists
  up(db: Kysely<any>): Promise<void>;
}
