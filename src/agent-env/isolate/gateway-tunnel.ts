// Opens a CONNECT tunnel through the gateway as the agent. This is where the agent's identity is
// attached: the key lives in this process (`tameflare run`, outside the namespaces) and is added to
// each CONNECT here, so the child never holds it and cannot present another agent's.
import { connect, type Socket } from 'node:net';
import { authority } from './http-head.js';
import { readPrefix } from './relay-protocol.js';

export interface GatewayAddress {
  host: string;
  port: number;
  /** `Basic …` for Proxy-Authorization; undefined when the proxy URL carried no credentials. */
  authorization: string | undefined;
}

export interface GatewayAnswer {
  socket: Socket;
  status: number;
  /** The response head, blank line included. */
  head: Buffer;
  /** Bytes that arrived after the head (a refusal's body, usually). */
  rest: Buffer;
}

const MAX_RESPONSE_HEAD = 64 * 1024;

/** The gateway address and credentials from the agent's proxy URL (`http://NAME:KEY@host:port`). */
export function gatewayFromProxyUrl(proxyUrl: string): GatewayAddress {
  const url = new URL(proxyUrl);
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: Number(url.port || 80),
    authorization:
      user || password ? `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}` : undefined,
  };
}

/**
 * Sends `CONNECT host:port` with the agent's credentials and resolves once the gateway's response
 * head has arrived, whatever its status. Rejects only when the gateway cannot be reached or closes
 * without an answer.
 */
export async function openGatewayTunnel(
  gateway: GatewayAddress,
  host: string,
  port: number,
  extraHeaders: Record<string, string> = {},
): Promise<GatewayAnswer> {
  const socket = connect({ host: gateway.host, port: gateway.port, allowHalfOpen: true });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const target = authority(host, port);
  const lines = [`CONNECT ${target} HTTP/1.1`, `Host: ${target}`];
  if (gateway.authorization) lines.push(`Proxy-Authorization: ${gateway.authorization}`);
  for (const [name, value] of Object.entries(extraHeaders)) lines.push(`${name}: ${value}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let answer: { prefixLength: number; buffered: Buffer };
  try {
    answer = await readPrefix(socket, headLength, MAX_RESPONSE_HEAD);
  } catch (err) {
    socket.destroy();
    throw err;
  }
  const head = answer.buffered.subarray(0, answer.prefixLength);
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(head.toString('latin1'));
  if (!status) {
    socket.destroy();
    throw new Error('the gateway answered CONNECT with something other than HTTP');
  }
  return { socket, status: Number(status[1]), head, rest: answer.buffered.subarray(answer.prefixLength) };
}

function headLength(buffered: Buffer): number | undefined {
  const end = buffered.indexOf('\r\n\r\n');
  return end < 0 ? undefined : end + 4;
}
