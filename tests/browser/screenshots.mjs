// Screenshots of the main page kinds of a built site at phone and desktop widths.
//
// Usage: node screenshots.mjs SITE_DIR OUT_DIR
// Writes OUT_DIR/<page>-375.png and OUT_DIR/<page>-1280.png (full page) and prints the list.

import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';

import { chromium } from 'playwright-core';

import { CHROMIUM_ARGS, serveSite } from './serve_site.mjs';

const WIDTHS = [375, 1280];

async function first(root, folder) {
  const names = (await readdir(path.join(root, folder), { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  if (!names.length) throw new Error(`no pages in ${folder}/`);
  return `/${folder}/${names[0]}/`;
}

async function main() {
  const [root, out] = process.argv.slice(2).map((p) => path.resolve(p));
  if (!root || !out) {
    console.error('usage: node screenshots.mjs SITE_DIR OUT_DIR');
    process.exit(2);
  }
  await mkdir(out, { recursive: true });
  const pages = {
    avaleht: '/',
    programm: await first(root, 'programmid'),
    teemad: '/teemad/',
    teema: await first(root, 'teemad'),
    ulevaade: '/ulevaade/',
    otsing: '/otsing/?q=koosloome',
    kalender: '/kalender/',
    404: '/seda-lehte-ei-ole/',
  };
  const server = await serveSite(root);
  const base = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  const written = [];
  try {
    for (const width of WIDTHS) {
      const page = await browser.newPage({ viewport: { width, height: 800 } });
      for (const [name, address] of Object.entries(pages)) {
        await page.goto(base + address, { waitUntil: 'networkidle' });
        if (name === 'otsing') await page.waitForSelector('#otsingu-tulemused li', { timeout: 10000 });
        const file = path.join(out, `${name}-${width}.png`);
        await page.screenshot({ path: file, fullPage: true });
        written.push(file);
      }
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  console.log(written.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
