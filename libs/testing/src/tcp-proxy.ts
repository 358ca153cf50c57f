import * as net from 'node:net';

/**
 * A TCP proxy in front of a server (e.g. PostgreSQL), for cutting a service's connections in
 * a test without stopping the machine's server: `cut()` drops every open connection and
 * refuses new ones until `restore()`.
 */
export class TcpProxy {
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;
  private open = true;
  private listeningPort = 0;
  private fatalAfterReady = false;

  private constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetHost, targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.listeningPort = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  get port(): number {
    return this.listeningPort;
  }

  /** Drops every connection through the proxy and refuses new ones. */
  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.open = true;
  }

  /**
   * The next connection gets, right behind PostgreSQL's first ReadyForQuery and in the same
   * write, the FATAL a `pg_terminate_backend` sends, then is closed: a backend terminated
   * just after it accepted the connection, with both messages in one read of the client.
   */
  terminateNextAfterReady(): void {
    this.fatalAfterReady = true;
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (!this.open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    if (!this.fatalAfterReady) {
      upstream.pipe(client);
      return;
    }
    this.fatalAfterReady = false;
    let terminated = false;
    upstream.on('data', (chunk: Buffer) => {
      if (terminated) return;
      // ReadyForQuery: 'Z', length 5, a status byte; the startup answer ends with it.
      const ready = chunk.length >= 6 && chunk[chunk.length - 6] === 0x5a;
      if (!ready) {
        client.write(chunk);
        return;
      }
      terminated = true;
      client.write(Buffer.concat([chunk, terminationMessage()]));
      client.end();
      upstream.destroy();
    });
  }
}

/** The ErrorResponse of a backend ended by `pg_terminate_backend` (57P01, FATAL). */
function terminationMessage(): Buffer {
  const fields = Buffer.from(
    ['SFATAL', 'VFATAL', 'C57P01', 'Mterminating connection due to administrator command']
      .map((field) => `${field}\0`)
      .join('') + '\0',
  );
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}
