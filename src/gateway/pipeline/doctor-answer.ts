// The gateway's own answer to `tameflare doctor`'s probes (src/wire/doctor-host.ts). It comes after
// the agent was identified, so a probe also proves that the agent's key works; each probe is a
// traffic row (action `doctor.probe` or `doctor.deny`) like any request.
//
// Threat model: the name is reserved, so no upstream can be reached through it and no credential is
// ever injected; the answer echoes only a bounded, character-checked nonce and the agent's own name.
import { DOCTOR_HOST, type DoctorAnswer } from '../../wire/doctor-host.js';
import type { DenialAnswer } from '../api/problem.js';

export function isDoctorHost(host: string): boolean {
  return host === DOCTOR_HOST;
}

export function isDoctorDenial(path: string): boolean {
  return path === '/deny' || path.startsWith('/deny/') || path.startsWith('/deny.');
}

function pkt(line: string): string {
  return (Buffer.byteLength(line) + 4).toString(16).padStart(4, '0') + line;
}

/** `/ok?nonce=N` (or a git ref advertisement for `…/info/refs`): the nonce back, and how it came. */
export function doctorOkAnswer(
  path: string,
  query: URLSearchParams,
  agent: string,
  intercepted: boolean,
): DenialAnswer {
  const nonce = (query.get('nonce') ?? '').replace(/[^A-Za-z0-9_-]/g, '').slice(0, 64);
  const service = query.get('service');
  if (path.endsWith('/info/refs') && service === 'git-upload-pack') {
    const fromPath = (path.split('/')[1] ?? '').replace(/\.git$/, '').replace(/[^A-Za-z0-9_-]/g, '');
    const ref = `${'0'.repeat(39)}1 refs/heads/doctor-${nonce || fromPath.slice(0, 64)}`;
    return {
      status: 200,
      contentType: 'application/x-git-upload-pack-advertisement',
      body: `${pkt('# service=git-upload-pack\n')}0000${pkt(`${ref}\0ofs-delta\n`)}0000`,
    };
  }
  const answer: DoctorAnswer = { tameflare_doctor: nonce, agent, intercepted };
  return { status: 200, contentType: 'application/json; charset=utf-8', body: JSON.stringify(answer) };
}
