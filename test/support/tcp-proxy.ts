/**
 * A loopback TCP proxy to the test server whose binlog streams can be stalled: a client
 * connection that sends COM_BINLOG_DUMP (0x12) or COM_BINLOG_DUMP_GTID (0x1e) is a binlog stream;
 * stallBinlog() holds back what the server sends on those (the peer sees a silent connection),
 * resume() delivers it.
 */
import net from 'node:net';

export interface TcpProxy {
  readonly port: number;
  stallBinlog(): void;
  resume(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(host: string, port: number): Promise<TcpProxy> {
  let stalled = false;
  const streams = new Set<{ binlog: boolean; held: Buffer[]; client: net.Socket }>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, host);
    const s = { binlog: false, held: [] as Buffer[], client };
    streams.add(s);
    sockets.add(client).add(upstream);
    client.on('data', (d: Buffer) => {
      // packet: 3-byte length, 1-byte sequence, then the command byte
      if (d.length > 4 && d[3] === 0 && (d[4] === 0x12 || d[4] === 0x1e)) s.binlog = true;
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (s.binlog && stalled) s.held.push(d);
      else client.write(d);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      streams.delete(s);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    stallBinlog() {
      stalled = true;
    },
    resume() {
      stalled = false;
      for (const s of streams) for (const d of s.held.splice(0)) s.client.write(d);
    },
    async close() {
      for (const sock of sockets) sock.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
