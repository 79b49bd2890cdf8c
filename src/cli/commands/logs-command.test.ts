import { describe, expect, it } from 'vitest';
import type { TrafficEntry } from '../../wire/traffic.js';
import { logRow, shortTime } from './logs-command.js';

const entry: TrafficEntry = {
  id: 7,
  created_at: '2026-03-04T05:06:07.890Z',
  event_type: 'action.forwarded',
  request_id: 'r1',
  gateway: 'default',
  agent: 'bot',
  connector: 'github',
  action: 'github.pr.merge',
  method: 'PUT',
  host: 'api.github.com',
  path: '/repos/o/r/pulls/1/merge',
  decision: 'deny',
  reason: 'no permission',
  status: 403,
  latency_ms: 3,
  bytes_in: 0,
  bytes_out: 120,
  error: null,
  mode: 'enforce',
  params: { owner: 'o', repo: 'r', number: 1 },
};

describe('logs rows', () => {
  it('shows time, agent, decision, status, action, request and latency', () => {
    expect(logRow(entry)).toEqual([
      '2026-03-04 05:06:07',
      'bot',
      'deny',
      403,
      'github.pr.merge',
      'PUT api.github.com/repos/o/r/pulls/1/merge',
      '3.0ms',
      'no permission',
      'owner=o repo=r number=1',
    ]);
  });

  it('marks monitor-mode decisions, errors without a status, and undecided rows', () => {
    const row = logRow({
      ...entry,
      mode: 'monitor',
      status: null,
      error: 'upstream_timeout',
      latency_ms: null,
    });
    expect(row[2]).toBe('deny (monitor)');
    expect(row[3]).toBe('error');
    expect(row[6]).toBeNull();
    expect(logRow({ ...entry, reason: null, error: 'upstream_timeout' })[7]).toBe('upstream_timeout');
    expect(logRow({ ...entry, decision: null })[2]).toBeNull();
  });

  it('shows a CONNECT by its target and rounds latency', () => {
    const row = logRow({ ...entry, method: 'CONNECT', path: 'api.github.com:443', latency_ms: 12.76 });
    expect(row[5]).toBe('CONNECT api.github.com:443');
    expect(row[6]).toBe('13ms');
    expect(logRow({ ...entry, latency_ms: 0.134 })[6]).toBe('0.1ms');
  });

  it('leaves odd timestamps alone', () => {
    expect(shortTime('yesterday')).toBe('yesterday');
  });
});
