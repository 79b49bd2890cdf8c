// The CLI, approvals and e2e tests this project re-runs start their control planes through the shared
// helpers; had those quietly fallen back to local.db, every one would claim a PostgreSQL pass it did
// not earn. Both ways in (a spawned daemon, an in-process one) must answer database_kind postgres.
import { afterAll, describe, expect, it } from 'vitest';
import { type InProcessDaemon, startInProcess } from '../approvals/approval-helpers.js';
import { type DaemonProcess, startDaemonProcess } from '../helpers/spawn-daemon.js';

let spawned: DaemonProcess | undefined;
let inProcess: InProcessDaemon | undefined;

afterAll(async () => {
  await spawned?.stop();
  await inProcess?.close();
});

const kindOf = async (controlUrl: string) =>
  ((await (await fetch(`${controlUrl}/health`)).json()) as { database_kind?: string }).database_kind;

describe('control planes started by the test helpers in the postgres project', () => {
  it('run on PostgreSQL, spawned or in process', async () => {
    spawned = await startDaemonProcess({ args: ['--role', 'control'] });
    expect(await kindOf(spawned.controlUrl)).toBe('postgres');
    inProcess = await startInProcess({ upstreamPort: 9 });
    expect(await kindOf(inProcess.controlUrl)).toBe('postgres');
  });
});
