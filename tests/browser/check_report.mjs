// Opens report.html from file:// in headless Chromium (system binary, driven
// over the DevTools protocol by playwright-core) and prints one JSON line of
// findings; the Rust test decides what fails. Writes a screenshot and a
// print-to-PDF beside the findings so a reviewer can look at them.
//
// usage: node check_report.mjs CHROMIUM REPORT.html OUT_DIR
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [executablePath, report, outDir] = process.argv.slice(2);
const userDataDir = mkdtempSync(join(tmpdir(), 'atpsim-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath,
  headless: true,
  viewport: { width: 1366, height: 768 },
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const page = context.pages()[0] ?? (await context.newPage());
const consoleErrors = [];
const requests = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));
page.on('request', (r) => requests.push(r.url()));
await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });
const layout = await page.evaluate(() => ({
  scrollWidth: document.documentElement.scrollWidth,
  clientWidth: document.documentElement.clientWidth,
  images: [...document.images].map((i) => ({ alt: i.alt.slice(0, 60), complete: i.complete, naturalWidth: i.naturalWidth })),
  pageLimit: Number(document.body.dataset.pageLimit),
}));
await page.screenshot({ path: join(outDir, 'report-1366.png'), fullPage: true });
await page.emulateMedia({ media: 'print' });
await page.pdf({ path: join(outDir, 'report.pdf'), format: 'A4', printBackground: true });
await context.close();
const external = requests.filter((u) => !u.startsWith('file:') && !u.startsWith('data:'));
console.log(JSON.stringify({ consoleErrors, external, ...layout }));
