// Checks every page of a built site the way a visitor's browser sees it.
//
// Usage: node check_pages.mjs OUTPUT_DIR
//
// For each *.html file under OUTPUT_DIR it
//   - runs axe-core (WCAG 2.0/2.1 A+AA and best practices) in headless Chromium
//     at a desktop (1280x900) and a phone (375x812) width,
//   - checks that a 360 px wide phone screen needs no horizontal scrolling,
//   - tabs through the page: every element that takes keyboard focus must show it
//     (an outline or a box shadow),
//   - records console errors, script errors, failed requests, Content-Security-Policy
//     violations (the `securitypolicyviolation` event and Chromium's "Refused to ..."
//     messages) and any request that leaves 127.0.0.1 (the built site must be
//     self-contained: no CDN, fonts or trackers),
//   - checks that every same-origin link, stylesheet, script and image exists.
// Exits 1 if anything was found, 0 otherwise.

import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import process from 'node:process';

import axe from 'axe-core';
import { chromium } from 'playwright-core';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };
const NARROW = { width: 360, height: 740 }; // the smallest common phone: no sideways scrolling
const MAX_TABS = 60; // focus stops checked per page
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8',
  '.ics': 'text/calendar; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.pdf': 'application/pdf',
  '.webmanifest': 'application/manifest+json',
};

async function isFile(p) {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function isDir(p) {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

// All *.html files below root, as sorted '/'-separated relative paths.
async function listHtml(root) {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.html'))
    .map((e) => path.relative(root, path.join(e.parentPath ?? e.path, e.name)).split(path.sep).join('/'))
    .sort();
}

// A tiny static server behaving like a typical static host: directories serve
// index.html, anything unknown gets 404.html with status 404.
function serve(root) {
  const server = createServer(async (req, res) => {
    const send = async (status, file, headers = {}) => {
      const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
      const body = await readFile(file);
      res.writeHead(status, { 'Content-Type': type, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      const { pathname } = new URL(req.url, 'http://x');
      const urlPath = decodeURIComponent(pathname);
      // path.join normalises '..' away; the prefix check keeps requests inside root.
      let file = path.join(root, urlPath);
      if (file !== root && !file.startsWith(root + path.sep)) file = path.join(root, '404-missing');
      if (await isDir(file)) {
        if (!urlPath.endsWith('/')) {
          // Like real static hosts: redirect so relative links resolve against the directory.
          res.writeHead(301, { Location: `${pathname}/` });
          res.end();
          return;
        }
        file = path.join(file, 'index.html');
      }
      if (await isFile(file)) return await send(200, file);
      const notFound = path.join(root, '404.html');
      if (await isFile(notFound)) return await send(404, notFound);
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('404 Not Found (and no 404.html)');
    } catch (err) {
      res.writeHead(500, { 'Content-Type': 'text/plain' });
      res.end(String(err));
    }
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// Same-origin URLs referenced by the page that a visitor or the browser would fetch.
function collectLinks() {
  const urls = [];
  const add = (el, attr) => {
    const raw = el.getAttribute(attr);
    if (raw === null) return;
    let url;
    try {
      url = new URL(raw, document.baseURI);
    } catch {
      urls.push({ raw, url: null });
      return;
    }
    if (url.origin !== location.origin) return; // mailto:, external sites: not ours to check
    const { hash } = url;
    url.hash = '';
    if (url.href === location.href.split('#')[0] && hash) {
      // A jump within this page (like a skip link): its target must exist here.
      const id = decodeURIComponent(hash.slice(1));
      const found = id === '' || id.toLowerCase() === 'top' || document.getElementById(id)
        || document.getElementsByName(id).length > 0;
      if (!found) urls.push({ raw, url: null, missingAnchor: true });
      return;
    }
    urls.push({ raw, url: url.href });
  };
  document.querySelectorAll('a[href]').forEach((el) => add(el, 'href'));
  document.querySelectorAll('link[href]').forEach((el) => add(el, 'href'));
  document.querySelectorAll('script[src]').forEach((el) => add(el, 'src'));
  document.querySelectorAll('img[src]').forEach((el) => add(el, 'src'));
  return urls;
}

async function main() {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node check_pages.mjs OUTPUT_DIR');
    process.exit(2);
  }
  const root = path.resolve(outDir);
  const pages = await listHtml(root);
  if (pages.length === 0) {
    console.error(`no *.html files found in ${root}`);
    process.exit(2);
  }

  const server = await serve(root);
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });

  // Every page, plus an unknown deep URL: the host answers it with 404.html,
  // whose styles and links must still work from any directory depth.
  const targets = pages.map((rel) => ({ name: rel, url: `${origin}/${rel}`, status: 200 }));
  if (pages.includes('404.html')) {
    targets.push({ name: '(unknown URL -> 404.html)', url: `${origin}/ei-ole/olemas/`, status: 404 });
  }

  let violationCount = 0;
  let problemCount = 0; // overflow, console/network errors, broken links
  const linkStatus = new Map(); // url -> HTTP status, so each target is fetched once

  try {
    for (const target of targets) {
      const lines = [];
      const problem = (msg) => {
        problemCount += 1;
        lines.push(`  ${msg}`);
      };
      const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
      const page = await context.newPage();

      // The site must work from its own origin alone: anything else is a leak
      // (CDN fonts, trackers) and is blocked so the check never touches the network.
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${origin}/`)) return route.continue();
        problem(`request leaves the site: ${url}`);
        return route.abort('blockedbyclient');
      });
      // CSP violations as the page sees them (an init script runs outside the page's CSP).
      await context.addInitScript(() => {
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`
            + (e.sourceFile ? ` at ${e.sourceFile}:${e.lineNumber}` : ''));
        });
      });
      page.on('console', (msg) => {
        if (msg.text().includes('Content Security Policy')) {
          problem(`CSP violation (console): ${msg.text()}`);
          return;
        }
        // Chromium also logs each failed load here; those are reported below with their URL.
        if (msg.type() !== 'error' || msg.text().startsWith('Failed to load resource')) return;
        const loc = msg.location()?.url;
        problem(`console error: ${msg.text()}${loc ? ` (${loc})` : ''}`);
      });
      page.on('pageerror', (err) => problem(`script error: ${err.message}`));
      const httpErrors = new Set(); // URLs already reported with their status
      page.on('response', (resp) => {
        if (resp.url() === target.url || resp.status() < 400) return; // the page itself: checked below
        httpErrors.add(resp.url());
        problem(`HTTP ${resp.status()}: ${resp.url()}`);
      });
      page.on('requestfailed', (req) => {
        if (req.url().startsWith(`${origin}/`) && !httpErrors.has(req.url())) {
          problem(`request failed: ${req.url()} (${req.failure()?.errorText})`);
        }
      });

      const response = await page.goto(target.url, { waitUntil: 'load' });
      if (response?.status() !== target.status) {
        problem(`expected HTTP ${target.status}, got ${response?.status()}`);
      }

      // Accessibility, at desktop and at phone width.
      // Evaluated over the DevTools protocol rather than as a <script> tag, so a
      // Content-Security-Policy on the site cannot block the checker.
      await page.evaluate(axe.source);
      for (const viewport of [DESKTOP, PHONE]) {
        await page.setViewportSize(viewport);
        const results = await page.evaluate(
          (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
          AXE_TAGS,
        );
        for (const v of results.violations) {
          violationCount += 1;
          lines.push(`  axe at ${viewport.width}px ${v.id} [${v.impact}]: ${v.help}`);
          for (const node of v.nodes) lines.push(`      at ${node.target.join(' ')}`);
        }
      }

      // Keyboard: each focus stop must be visible (the :focus-visible style).
      await page.setViewportSize(DESKTOP);
      const seen = new Set();
      for (let i = 0; i < MAX_TABS; i += 1) {
        await page.keyboard.press('Tab');
        const focus = await page.evaluate(() => {
          const el = document.activeElement;
          if (!el || el === document.body) return null;
          const style = getComputedStyle(el);
          const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
          const name = el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '')
            + (el.getAttribute('href') ? `[href="${el.getAttribute('href').slice(0, 60)}"]` : '');
          const key = [...document.querySelectorAll('*')].indexOf(el);
          return { key, name, visible: outline || style.boxShadow !== 'none' };
        });
        if (focus === null || seen.has(focus.key)) break; // left the page or wrapped around
        seen.add(focus.key);
        if (!focus.visible) problem(`keyboard focus not visible on ${focus.name}`);
      }

      for (const v of await page.evaluate(() => window.__cspViolations)) {
        problem(`CSP violation: ${v}`);
      }

      // Layout on a small phone: nothing may force sideways scrolling.
      await page.setViewportSize(NARROW);
      const widths = await page.evaluate(() => ({
        scroll: document.documentElement.scrollWidth,
        inner: window.innerWidth,
        // Name a few offending elements so the report says what to fix.
        culprits: [...document.body.querySelectorAll('*')]
          .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 0.5)
          .slice(0, 5)
          .map((el) => el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '')
            + [...el.classList].map((c) => `.${c}`).join('')),
      }));
      if (widths.scroll > widths.inner) {
        problem(`horizontal overflow at ${NARROW.width}px: scrollWidth ${widths.scroll} > ${widths.inner}`
          + (widths.culprits.length ? ` (e.g. ${widths.culprits.join(', ')})` : ''));
      }

      // Internal links and assets must exist.
      for (const { raw, url, missingAnchor } of await page.evaluate(collectLinks)) {
        if (url === null) {
          problem(missingAnchor ? `link to a missing id on this page: ${raw}` : `unparseable link: ${raw}`);
          continue;
        }
        if (!linkStatus.has(url)) linkStatus.set(url, (await fetch(url)).status);
        const status = linkStatus.get(url);
        if (status !== 200) problem(`broken link (HTTP ${status}): ${raw}`);
      }

      await context.close();
      console.log(lines.length ? `${target.name}:\n${lines.join('\n')}` : `${target.name}: ok`);
    }
  } finally {
    await browser.close();
    server.close();
  }

  console.log(`axe: ${targets.length} pages checked, ${violationCount} violations, `
    + `${problemCount} other problems (overflow, focus, CSP, console/network errors, `
    + 'foreign requests, broken links)');
  process.exit(violationCount + problemCount > 0 ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
