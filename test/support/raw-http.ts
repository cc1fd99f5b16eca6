// A raw HTTP/1.1 connection for tests that care about the socket itself: keep-alive after an error,
// and what Node's parser answers before the app runs.
import { connect } from 'node:net';
import { once } from 'node:events';

/** One response read off the socket. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Opens a connection to 127.0.0.1:port; `send` writes bytes, `nextResponse` reads the next response. */
export async function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let received = Buffer.alloc(0);
  let closed = false;
  let wake = () => {};
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    wake();
  });
  socket.on('close', () => {
    closed = true;
    wake();
  });
  // The server may close while a body is still being written: that shows as a missing response.
  socket.on('error', () => {});

  /** The next complete response (its body sized by Content-Length), or null if the connection closed first. */
  async function nextResponse(timeoutMs = 5000): Promise<RawResponse | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const parsed = parse();
      if (parsed) return parsed;
      if (closed || Date.now() > deadline) return null;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  function parse(): RawResponse | null {
    const end = received.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = received.subarray(0, end).toString('latin1').split('\r\n');
    const headers = Object.fromEntries(
      lines.map((line) => {
        const colon = line.indexOf(':');
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
      }),
    );
    const length = Number(headers['content-length'] ?? 0);
    if (received.length < end + 4 + length) return null;
    const body = received.subarray(end + 4, end + 4 + length).toString('utf8');
    received = received.subarray(end + 4 + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }

  return {
    send: (data: string | Buffer) => socket.write(data),
    nextResponse,
    close: () => socket.destroy(),
  };
}
