// Counts the connection attempts the namespace refused. Inside, every address is local (the bridge
// adds `local` routes for 0.0.0.0/0 and ::/0 on the loopback), so a connection to any port the bridge
// does not listen on is refused by the kernel at once: a TCP SYN is answered with a reset
// (Tcp AttemptFails), a UDP datagram with "port unreachable" (Udp NoPorts). The namespace's own SNMP
// counters see each of them, though not where they were going: a packet filter could tell, but none
// is available without extra privileges or tools, so the report says "destination not visible".
//
// These counters belong to the namespace (per network namespace in Linux), so nothing outside it
// adds to them; the agent's own loopback probes inside (a client trying a port before its own server
// listens) do, and are reported alike.
import { readFileSync } from 'node:fs';

export interface RefusalCounters {
  /** TCP connection attempts that ended before being established (refused by a reset). */
  tcp: number;
  /** UDP datagrams, IPv4 and IPv6, that reached no socket. */
  udp: number;
}

/** Parses /proc/net/snmp (header/value line pairs) and /proc/net/snmp6 (name value lines). */
export function parseRefusalCounters(snmp: string, snmp6: string): RefusalCounters {
  const v4 = new Map<string, number>();
  const lines = snmp.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]!.trim().split(/\s+/);
    const values = lines[i + 1]!.trim().split(/\s+/);
    if (names[0] !== values[0]) break; // out of step: trust nothing further
    for (let j = 1; j < names.length; j++) v4.set(`${names[0]}${names[j]}`, Number(values[j]));
  }
  let udp6 = 0;
  for (const line of snmp6.split('\n')) {
    const [name, value] = line.trim().split(/\s+/);
    if (name === 'Udp6NoPorts') udp6 = Number(value);
  }
  const num = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : 0);
  return { tcp: num(v4.get('Tcp:AttemptFails')), udp: num(v4.get('Udp:NoPorts')) + num(udp6) };
}

/** The current counters of the calling process's network namespace. */
export function readRefusalCounters(): RefusalCounters {
  const read = (path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return ''; // no IPv6 in this kernel: no snmp6
    }
  };
  return parseRefusalCounters(read('/proc/net/snmp'), read('/proc/net/snmp6'));
}

/** What changed since `before`; never negative (a counter never goes back in one namespace). */
export function refusalsSince(before: RefusalCounters, now: RefusalCounters): RefusalCounters {
  return { tcp: Math.max(0, now.tcp - before.tcp), udp: Math.max(0, now.udp - before.udp) };
}
