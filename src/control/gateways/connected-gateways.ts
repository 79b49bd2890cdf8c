// Which gateways have their configuration stream open to this control plane right now, and with
// which CA: what makes a gateway `connected`, and how a second gateway that starts under a name
// already in use is told so instead of silently taking over the first one's agents.

interface Connection {
  id: number;
  fingerprint: string | undefined;
  since: Date;
}

export class ConnectedGateways {
  readonly #byGateway = new Map<string, Connection[]>();
  #next = 1;

  /** Records an open stream; returns the function that records its end. */
  open(gatewayId: string, fingerprint: string | undefined, now: Date): () => void {
    const conn: Connection = { id: this.#next++, fingerprint, since: now };
    const list = this.#byGateway.get(gatewayId) ?? [];
    list.push(conn);
    this.#byGateway.set(gatewayId, list);
    return () => {
      const rest = (this.#byGateway.get(gatewayId) ?? []).filter((c) => c.id !== conn.id);
      if (rest.length === 0) this.#byGateway.delete(gatewayId);
      else this.#byGateway.set(gatewayId, rest);
    };
  }

  isConnected(gatewayId: string): boolean {
    return this.#byGateway.has(gatewayId);
  }

  /**
   * The CA fingerprint of another gateway streaming under this name, when it differs from
   * `fingerprint` (streams that did not say which CA they have are not counted).
   */
  conflictingFingerprint(gatewayId: string, fingerprint: string): string | undefined {
    return this.#byGateway
      .get(gatewayId)
      ?.find((c) => c.fingerprint !== undefined && c.fingerprint !== fingerprint)?.fingerprint;
  }
}
