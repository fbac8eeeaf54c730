// A minimal static server for a built site, like a typical static host: folders serve
// index.html, anything unknown gets 404.html with status 404. Only inside the site folder.

import { readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.svg': 'image/svg+xml', '.json': 'application/json',
  '.pagefind': 'application/octet-stream', '.ics': 'text/calendar; charset=utf-8',
};

async function kind(file) {
  try {
    const s = await stat(file);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : null;
  } catch {
    return null;
  }
}

// Resolves to the http.Server listening on 127.0.0.1 at a free port.
export function serveSite(root) {
  const server = createServer(async (req, res) => {
    const send = async (status, file) => {
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      res.writeHead(status, { 'Content-Type': type });
      res.end(await readFile(file));
    };
    try {
      const { pathname } = new URL(req.url, 'http://x');
      let file = path.join(root, decodeURIComponent(pathname));
      if (file !== root && !file.startsWith(root + path.sep)) file = path.join(root, '-');
      if ((await kind(file)) === 'dir') {
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { Location: `${pathname}/` });
          res.end();
          return;
        }
        file = path.join(file, 'index.html');
      }
      if ((await kind(file)) === 'file') return await send(200, file);
      return await send(404, path.join(root, '404.html'));
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
