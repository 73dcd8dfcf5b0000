/**
 * The two halves of request handling both syncdoc servers share (the local reference server and
 * the Convex-protocol test server): reading a body under a size cap, and answering JSON. A body
 * over the cap is drained rather than cut off, so the client reads our 413 instead of a reset.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The body as text, or null when it is larger than `maxBytes` (the rest is drained, not kept). */
export function readBodyCapped(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > maxBytes ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}
