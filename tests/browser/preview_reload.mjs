// The live preview in real headless Chromium, as an editor uses it:
//   node preview_reload.mjs PREVIEW_URL PROGRAMME_FILE
// 1. open a programme page; 2. change a session's date in the file: the open page reloads by
// itself and shows the new date; 3. break the YAML: the page turns into the error page with
// the file, line and column; 4. fix it: the site is back. Prints one JSON line of what it saw;
// exits 1 on the first step that fails.
import { readFile, writeFile } from 'node:fs/promises';
import process from 'node:process';

import { chromium } from 'playwright-core';

const [url, file] = process.argv.slice(2);
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const TIMEOUT = 15000;
const seen = {};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
});
try {
  const page = await browser.newPage();
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  const original = await readFile(file, 'utf8');
  let reloads = 0;
  page.on('load', () => { reloads += 1; });

  await page.goto(url);
  seen.before = await page.locator('body').innerText();
  if (!seen.before.includes('neljapäev, 18. mai 2023')) throw new Error('date not on the page');
  // A mark that only survives while the page is not reloaded: we never navigate again.
  const marked = async () => page.evaluate(() => window.__notReloaded === true);
  await page.evaluate(() => { window.__notReloaded = true; });

  // 2. the editor changes a session's date and saves
  const started = Date.now();
  await writeFile(file, original.replace('date: "2023-05-18"', 'date: "2023-05-25"'));
  await page.waitForFunction(
    () => document.body && document.body.innerText.includes('neljapäev, 25. mai 2023'),
    null, { timeout: TIMEOUT },
  );
  seen.updateMs = Date.now() - started;
  seen.reloadedByItself = !(await marked());
  await page.evaluate(() => { window.__notReloaded = true; });

  // 3. the editor breaks the YAML (a colon in an unquoted title)
  await writeFile(file, original.replace(
    'title: Kogukonna koosloome labor', 'title: Kogukonna koosloome labor: kevad',
  ));
  await page.waitForFunction(
    () => document.body && document.body.innerText.includes('Sisus on vigu'),
    null, { timeout: TIMEOUT },
  );
  seen.errorPage = await page.locator('body').innerText();
  seen.errorReloadedByItself = !(await marked());
  await page.evaluate(() => { window.__notReloaded = true; });

  // 4. the editor fixes it
  await writeFile(file, original);
  await page.waitForFunction(
    () => document.body && !document.body.innerText.includes('Sisus on vigu')
      && document.body.innerText.includes('neljapäev, 18. mai 2023'),
    null, { timeout: TIMEOUT },
  );
  seen.fixedReloadedByItself = !(await marked());
  seen.after = await page.locator('body').innerText();
  seen.reloads = reloads;
  seen.consoleErrors = consoleErrors;
  seen.failedRequests = failed;
  process.stdout.write(`${JSON.stringify(seen)}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ...seen, failure: String(error) })}\n`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
