// Each test of the `postgres` project is skipped, with the reason, when no PostgreSQL server could
// be started: a control-plane test that quietly ran on SQLite instead would claim a pass it did not earn.
import { beforeEach, inject } from 'vitest';

beforeEach((ctx) => {
  const reason = inject('postgresSkip');
  if (reason) ctx.skip(`PostgreSQL unavailable: ${reason}`);
});
