import { describe, expect, it } from 'vitest';
import { parseRefusalCounters, refusalsSince } from './refusal-counters.js';

const SNMP = `Ip: Forwarding DefaultTTL InReceives
Ip: 1 64 10
Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab
Tcp: 1 200 120000 -1 5 2 3 0 1
Udp: InDatagrams NoPorts InErrors OutDatagrams
Udp: 4 2 0 6
UdpLite: InDatagrams NoPorts
UdpLite: 0 9
`;

describe('refusal counters', () => {
  it('reads TCP AttemptFails and UDP NoPorts (IPv4 and IPv6), not UdpLite', () => {
    expect(parseRefusalCounters(SNMP, 'Udp6InDatagrams   1\nUdp6NoPorts    5\n')).toEqual({ tcp: 3, udp: 7 });
  });

  it('reads zero from what is missing or out of step, and never goes negative', () => {
    expect(parseRefusalCounters('', '')).toEqual({ tcp: 0, udp: 0 });
    expect(parseRefusalCounters('Tcp: AttemptFails\nUdp: 1\n', '')).toEqual({ tcp: 0, udp: 0 });
    expect(refusalsSince({ tcp: 5, udp: 5 }, { tcp: 7, udp: 4 })).toEqual({ tcp: 2, udp: 0 });
  });
});
