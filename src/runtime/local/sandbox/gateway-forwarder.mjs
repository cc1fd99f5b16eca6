// The agent's one door out of a namespaces sandbox, whose network has nothing but loopback: run inside
// the sandbox (by the same node, as root without a single capability), it listens on
// 127.0.0.1:<port> and pipes each connection, byte for byte, to the gateway's Unix socket that
// bubblewrap mounted in. It says "listening" on stdout once it is, and never writes anything else.
// Usage: node gateway-forwarder.mjs <port> <socket path>
import { connect, createServer } from 'node:net';
import process from 'node:process';

const [port, socketPath] = process.argv.slice(2);

// Half-open both ways: a client that ends its request still gets the whole answer.
const server = createServer({ allowHalfOpen: true }, (client) => {
  const upstream = connect({ path: socketPath, allowHalfOpen: true });
  const close = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.pipe(upstream).pipe(client);
});
server.on('error', () => process.exit(1));
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
