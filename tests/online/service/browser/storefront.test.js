// Playwright end-to-end test of the storefront page (web/) served by reco-recommender, in Debian's chromium.
//
// Starts the real binary in a temp data dir (retrieval order, so the expected effect does not depend on model
// weights), seeds a catalog and background shoppers over HTTP, opens the page for a shopper who only browsed
// categories 3 and 4, browses category 61, clicks "view" on one of its items and checks that the click was posted
// as an event and that category 61 rises into the shopper's recommendations, in place (no page reload).
// Saves a screenshot. Usage: node storefront.test.js BIN_DIR OUT_DIR. Exit 77 (skip) without chromium.
'use strict';

const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const binDir = process.argv[2] || process.env.RECO_BIN_DIR;
const outDir = process.argv[3] || os.tmpdir();
const SKIP = 77;
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));
if (!chromium) {
  console.log('SKIP: chromium not installed (apt-get install chromium; scripts/install-deps.sh test)');
  process.exit(SKIP);
}
let playwright;
try {
  playwright = require('playwright-core');
} catch (e) {
  console.log('SKIP: playwright-core not installed (npm ci in tests/online/service/browser)');
  process.exit(SKIP);
}

const SHOPPER = 77;
const NEW_CATEGORY = 61;
const FIRST_ITEM = 5000;
const NUM_CATES = 98;
const categoryOf = (item) => 1 + ((item - FIRST_ITEM) % NUM_CATES);
const itemOf = (c, m) => FIRST_ITEM + (c - 1) + NUM_CATES * m;

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

async function waitForPort(file, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) fail(`reco-recommender exited with ${child.exitCode}`);
    try {
      const port = Number(fs.readFileSync(file, 'utf8').trim());
      if (port > 0) return port;
    } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  fail('reco-recommender did not write its port');
}

async function call(base, method, p, body) {
  const res = await fetch(base + p, { method, body: body && JSON.stringify(body),
                                      headers: { 'Content-Type': 'application/json' } });
  if (!res.ok) fail(`${method} ${p}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

async function seed(base) {
  const items = [];
  for (let k = 0; k < 998; k++) items.push({ item_id: FIRST_ITEM + k, category_id: categoryOf(FIRST_ITEM + k) });
  await call(base, 'PUT', '/v1/items', items);
  const events = [];
  for (let u = 1000; u < 1150; u++) {
    const c1 = 1 + (u % 70), c2 = 1 + ((u * 7) % 70);
    for (let j = 0; j < 12; j++) {
      const item = itemOf(j % 2 ? c1 : c2, (u + j) % 10);
      events.push({ user_id: u, item_id: item, category_id: categoryOf(item), behavior: j % 5 === 4 ? 'cart' : 'pv' });
    }
  }
  for (let j = 0; j < 10; j++) {
    const item = itemOf(3 + (j % 2), j);
    events.push({ user_id: SHOPPER, item_id: item, category_id: categoryOf(item), behavior: 'pv' });
  }
  await call(base, 'POST', '/v1/events', events);
}

async function recCategories(page) {
  return page.$$eval('#recs tbody tr', (rows) => rows.map((r) => Number(r.dataset.category)));
}

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reco-storefront-'));
  const portFile = path.join(dir, 'port');
  const child = spawn(path.join(binDir, 'reco-recommender'),
                      ['--data-dir', path.join(dir, 'data'), '--port', '0', '--port-file', portFile,
                       '--log-level', 'warn'], { stdio: 'inherit' });
  let browser;
  try {
    const port = await waitForPort(portFile, child);
    const base = `http://127.0.0.1:${port}`;
    await seed(base);
    browser = await playwright.chromium.launch({ executablePath: chromium, headless: true,
                                                 args: ['--no-sandbox', '--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (e) => fail(`page error: ${e.message}`));
    await page.goto(`${base}/?user=${SHOPPER}`);
    await page.waitForSelector('#recs tbody tr');
    const before = await recCategories(page);
    if (before.includes(NEW_CATEGORY)) fail(`category ${NEW_CATEGORY} is already recommended: ${before}`);
    const panelModel = await page.textContent('#stat-ranking');

    // Browse the new category and click "view" on its first item.
    await page.fill('#browse-category', String(NEW_CATEGORY));
    await page.click('#browse-form button');
    await page.waitForSelector('#browse tbody tr');
    const browsed = await page.$$eval('#browse tbody tr', (rows) => rows.map((r) => Number(r.dataset.category)));
    if (!browsed.length || browsed.some((c) => c !== NEW_CATEGORY)) fail(`browse showed categories ${browsed}`);
    const [eventResponse] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/v1/events') && r.request().method() === 'POST'),
      page.click('#browse tbody tr:first-child button[data-action="pv"]'),
    ]);
    if (eventResponse.status() !== 200) fail(`POST /v1/events answered ${eventResponse.status()}`);
    const posted = JSON.parse(eventResponse.request().postData());
    if (posted.behavior !== 'pv' || posted.user_id !== SHOPPER || posted.category_id !== NEW_CATEGORY) {
      fail(`unexpected event ${JSON.stringify(posted)}`);
    }
    // The list refreshes in place: wait until the new category shows up (or time out).
    await page.waitForFunction((c) => [...document.querySelectorAll('#recs tbody tr')]
      .some((r) => Number(r.dataset.category) === c), NEW_CATEGORY, { timeout: 5000 })
      .catch(() => fail(`category ${NEW_CATEGORY} did not rise into the recommendations`));
    const after = await recCategories(page);
    const rank = after.indexOf(NEW_CATEGORY);
    const history = await page.$$eval('#history li', (li) => li.map((l) => Number(l.dataset.category)));
    if (history[0] !== NEW_CATEGORY) fail(`history does not start with the click: ${history}`);
    const shot = path.join(outDir, 'storefront.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`PASS: clicked an item of category ${NEW_CATEGORY}; it rose to position ${rank + 1} of ` +
                `${after.length} (ranking: ${panelModel}); screenshot ${shot}`);
  } finally {
    if (browser) await browser.close();
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => {
  if (!process.exitCode) console.error(`FAIL: ${e.stack || e}`);
  process.exitCode = 1;
});
