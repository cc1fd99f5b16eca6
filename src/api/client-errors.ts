import { randomUUID } from 'node:crypto';
import { maxHeaderSize, STATUS_CODES, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** What Node's HTTP parser refused, as the status, code and message the caller gets. */
function refusalFor(parserCode: string | undefined): { status: number; code: ErrorCode; message: string } {
  switch (parserCode) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'invalid_request',
        message: `the request line and headers are larger than ${maxHeaderSize} bytes`,
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { status: 413, code: 'payload_too_large', message: 'the chunk extensions are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, code: 'invalid_request', message: 'the request took too long to arrive' };
    default:
      return { status: 400, code: 'invalid_request', message: 'the request is not valid HTTP/1.1' };
  }
}

/**
 * Answers the requests Node's HTTP parser refuses before the app sees them (headers too large,
 * malformed request lines or headers) in the one error shape, instead of Node's empty bodies.
 */
export function answerClientErrors(server: Server, logger: Logger): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's default handler: nothing to answer on a reset or closed socket, or once a response
    // has started on this connection (a second status line would corrupt it).
    const responding = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent;
    if (error.code === 'ECONNRESET' || !socket.writable || responding) {
      socket.destroy();
      return;
    }
    const refusal = refusalFor(error.code);
    const requestId = randomUUID();
    logger.warn({ requestId, parserCode: error.code, status: refusal.status }, 'refused a malformed request');
    const body = JSON.stringify({ error: { code: refusal.code, message: refusal.message, requestId } });
    // The parser cannot resume mid-stream, so the connection ends with this answer.
    socket.end(
      [
        `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status]}`,
        'content-type: application/json',
        `content-length: ${Buffer.byteLength(body)}`,
        `x-request-id: ${requestId}`,
        'connection: close',
        '',
        body,
      ].join('\r\n'),
    );
  });
}
