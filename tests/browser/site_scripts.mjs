// Runs the site's two scripts in headless Chromium and prints what a visitor sees, as JSON.
//
// Usage: node site_scripts.mjs SITE_DIR SEARCH_WORD PROGRAMME_PATH BROWSER_DATE
//   search:    otsing/ with SEARCH_WORD typed in: the status line and the results (url, title)
//   freshness: PROGRAMME_PATH opened with the browser's clock at BROWSER_DATE (ISO): its
//              state badge, deadline texts and the footer line, plus every console error.
// The pages keep their own Content-Security-Policy (a <meta> element), so a script that
// needed more than it allows would fail here.

import path from 'node:path';
import process from 'node:process';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, serveSite } from './serve_site.mjs';

async function main() {
  const [root, word, programme, date] = process.argv.slice(2);
  const server = await serveSite(path.resolve(root));
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const errors = [];
  const watch = (page) => {
    // Chromium asks every site for /favicon.ico on its own; this site has none.
    const favicon = (text) => text.startsWith('Failed to load resource');
    page.on('console', (m) => m.type() === 'error' && !favicon(m.text()) && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
    });
  };
  try {
    const page = await browser.newPage();
    watch(page);
    await page.goto(`${base}/otsing/`, { waitUntil: 'networkidle' });
    const idle = await page.textContent('#otsingu-olek');
    await page.fill('#otsingusona', word);
    await page.waitForSelector('#otsingu-tulemused li a', { timeout: 15000 });
    const search = {
      idle,
      status: await page.textContent('#otsingu-olek'),
      results: await page.$$eval('#otsingu-tulemused li a', (links) =>
        links.map((a) => ({ url: new URL(a.href).pathname, title: a.textContent })),
      ),
      address: new URL(page.url()).search,
    };
    await page.close();

    const later = await browser.newPage();
    watch(later);
    await later.clock.setFixedTime(new Date(date));
    await later.goto(base + programme, { waitUntil: 'networkidle' });
    const freshness = {
      badge: await later.textContent('article .badge[data-start]'),
      badgeClass: await later.getAttribute('article .badge[data-start]', 'class'),
      deadlines: await later.$$eval('[data-deadline]', (els) => els.map((e) => e.textContent)),
      footer: await later.textContent('.site-footer p'),
    };
    console.log(JSON.stringify({ search, freshness, errors }, null, 1));
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
