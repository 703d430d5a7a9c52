// SPDX-License-Identifier: Apache-2.0
// End-to-end test of Warren's dashboard in headless Chromium.
//
// Usage: node dashboard.test.mjs --config INI --data DIR --token TOKEN
//          [--warren BIN] [--out DIR]
//        node dashboard.test.mjs --url http://127.0.0.1:PORT [...]
//
// Once the browser is up, starts `warren serve --demo --demo-speed 2
// --config INI` on a free port (tests/integration/test_dashboard.sh gives
// it two notifiers) with a scratch data dir, opens the page, then restarts
// it with --data-dir DIR on the same port, so the open page sees the demo
// from its start whatever the machine's load, and stops it at the end (it
// must exit 0 on SIGTERM); or uses the running
// `warren serve --demo` at --url. --warren is the binary; it also starts
// a second daemon replaying a generated trace of 1000 groups (the
// large-list checks, a deterministic live status change and the reconnect
// indicator) and a third watching a Kafka cluster on a closed port (its
// banner and reason, the empty list's reason, no green indicator) and a
// fourth watching librdkafka's mock cluster (tests/helpers/kafka_mock,
// $KAFKA_MOCK): it cannot list groups, then all its brokers go down; a
// fifth replays samples/deploy-canary.jsonl with its group page open from
// the start (the deployment's marker, list entry and tooltip arrive by
// the stream). Screenshots go to --out (build/screenshots). Prints "ok
// NAME" or "FAIL NAME: why" per check and exits 1 if any check failed.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const args = parseArgs(process.argv.slice(2));
let BASE = (args.url || process.env.WARREN_URL || '').replace(/\/$/, '');
// The demo runs at twice real time: every behaviour within ~15 s.
const DEMO_SPEED = 2;
const WARREN = args.warren || process.env.WARREN_BIN || 'build/default/warren';
const OUT = args.out || 'build/screenshots';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
  '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const PHONE = { viewport: { width: 375, height: 812 }, deviceScaleFactor: 2,
  isMobile: true, hasTouch: true };

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)$/.exec(argv[i]);
    if (m && i + 1 < argv.length) out[m[1]] = argv[++i];
  }
  return out;
}

if (!BASE && !(args.config && args.data)) {
  console.error('usage: node dashboard.test.mjs --config INI --data DIR ' +
    '[--warren BIN] [--out DIR]\n' +
    '       node dashboard.test.mjs --url http://HOST:PORT [...]');
  process.exit(2);
}
fs.mkdirSync(OUT, { recursive: true });

// ---------------------------------------------------------------- harness
const results = [];
async function check(name, fn) {
  const t = Date.now();
  lastStep = '';
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - t) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    const why = String(e && e.message || e).split('\n')[0];
    console.log(`FAIL ${name}: ${why}${lastStep ? ` (after: ${lastStep})`
      : ''}`);
  }
}

// With DASH_DEBUG=1, step() prints the time since start of each step.
const T0 = Date.now();
let lastStep = '';
function step(what) {
  lastStep = what;
  if (process.env.DASH_DEBUG) {
    console.log(`  .. ${((Date.now() - T0) / 1000).toFixed(1)} s ${what}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// The last n lines of a warren log, joined by ' | ' when oneLine.
function logTail(file, n, oneLine = true) {
  if (!fs.existsSync(file)) return `(no ${path.basename(file)})`;
  const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n')
    .slice(-n);
  return lines.join(oneLine ? ' | ' : '\n');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Console errors and uncaught exceptions of every page. The expected
// errors are the 404 of GET /v3/notifiers on a server without notifiers
// (the dashboard then says so), the 404 of a group's /lag whose body
// says NOTFOUND (a group the server lists but has not evaluated yet: the
// page shows it so and waits for its first evaluation), and
// connection-refused errors while a test has stopped the server on
// purpose. The console message can come before the body is read, so the
// 404s are sorted out when the errors are checked.
const consoleErrors = [];
const notFoundAnswers = new Set();
let serverDown = false;
function watch(page, label) {
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    const url = (msg.location() && msg.location().url) || '';
    if (/status of 404/.test(text) && /\/v3\/notifiers$/.test(url)) return;
    if (serverDown && /net::ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE/
      .test(text)) return;
    consoleErrors.push({ text: `${label}: ${text} ${url}`, url,
      notFound: /status of 404/.test(text) });
  });
  page.on('response', async (r) => {
    if (r.status() !== 404 || !/\/consumer\/[^/?]+\/lag$/.test(r.url()))
      return;
    try {
      const b = await r.json();
      if (b && b.status && b.status.status === 'NOTFOUND')
        notFoundAnswers.add(r.url());
    } catch (e) {
      // not JSON: an error like any other
    }
  });
  page.on('pageerror', (err) => {
    consoleErrors.push({ text: `${label}: uncaught ${err.message}` });
  });
}

// Screenshot into OUT, scrolled to the top (a sticky header would
// otherwise be drawn where the page was scrolled to).
async function shoot(page, name, fullPage) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(OUT, name), fullPage });
}

// Text of the status a row shows, keyed by group name.
async function rowStatuses(page) {
  return page.$$eval('a.row', (rows) => Object.fromEntries(rows.map((r) => [
    r.dataset.group, { status: r.dataset.status,
      word: r.querySelector('.badge-word')?.textContent || '' }])));
}

// ------------------------------------------------------------ 1000 groups
const TEAMS = ['payments', 'search', 'billing', 'ads', 'fraud', 'ingest',
  'reports', 'mobile', 'email', 'ledger'];

function groupName(i) {
  return `${TEAMS[i % TEAMS.length]}-svc-${String(i).padStart(4, '0')}`;
}

// Writes a trace (samples/README.md) of n groups reading 100 one-partition
// topics (group i reads topic-(i % 100)), one commit round every 2 s for
// spanMs from t0: i%50==7 stalls, i%50==13 stops after 8 s, i%10==3 falls
// behind, the rest keep up. "canary-stops" commits every second and stops
// at t0 + CANARY_STOP_MS, so it turns ERR (stopped) 10-20 s of trace time
// later (REPLAY_SPEED times sooner in real time): late enough that a page
// opened on a loaded machine still sees it OK first.
const CANARY_STOP_MS = 150000;
function writeTrace(file, n, t0, spanMs) {
  const fd = fs.openSync(file, 'w');
  const buf = [];
  const flush = () => {
    fs.writeSync(fd, buf.join('\n') + '\n');
    buf.length = 0;
  };
  const line = (o) => {
    buf.push(JSON.stringify(o));
    if (buf.length > 5000) flush();
  };
  line({ type: 'config', intervals: 10 });
  const head = (s) => 1000 + s * 20;
  for (let s = 0; s * 1000 <= spanMs; s++) {
    const t = t0 + s * 1000;
    line({ type: 'head', t, topic: 'canary', partition: 0,
      offset: head(s), partitions: 1 });
    if (s * 1000 <= CANARY_STOP_MS) {
      line({ type: 'commit', t, group: 'canary-stops', topic: 'canary',
        partition: 0, offset: head(s) - (s % 2 ? 5 : 0), owner: '/10.0.0.9',
        client_id: 'canary-1' });
    }
    if (s % 2) continue;
    const round = s / 2;
    for (let k = 0; k < 100; k++) {
      line({ type: 'head', t, topic: `topic-${k}`, partition: 0,
        offset: head(s), partitions: 1 });
    }
    for (let i = 0; i < n; i++) {
      let off;
      if (i % 50 === 7) off = 1000;
      else if (i % 50 === 13) off = round <= 4 ? head(s) - 5 : null;
      else if (i % 10 === 3) off = head(s) - 7 * round - 5;
      else off = head(s) - (round % 2 ? 10 : 0);
      if (off !== null) {
        line({ type: 'commit', t, group: groupName(i),
          topic: `topic-${i % 100}`, partition: 0, offset: off });
      }
    }
  }
  flush();
  fs.closeSync(fd);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function waitHealthy(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) return;
    } catch (e) {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer /healthz within ${ms} ms`);
}

// The replayed trace runs this many times faster than real time.
const REPLAY_SPEED = 4;

// Starts `warren serve ARGS` on port; resolves with the child.
async function startWarren(extra, port, dataDir, log) {
  const child = spawn(WARREN, ['serve', ...extra, '--listen',
    `127.0.0.1:${port}`, '--data-dir', dataDir], {
    stdio: ['ignore', 'ignore', fs.openSync(log, 'a')] });
  const exited = new Promise((r) => {
    child.on('exit', (code, sig) => r({ code, sig }));
    child.on('error', (err) => r({ code: err.code, sig: null }));
  });
  child.exited = exited;
  try {
    await Promise.race([waitHealthy(`http://127.0.0.1:${port}`, 20000),
      exited.then((x) => {
        throw new Error(`warren exited (${x.code ?? x.sig}) at start`);
      })]);
  } catch (e) {
    child.kill('SIGTERM');
    throw e;
  }
  return child;
}

// Starts `warren serve --replay trace` on port; resolves with the child.
function startReplay(trace, port, dataDir, log, speed = REPLAY_SPEED) {
  return startWarren(['--replay', trace, '--speed', String(speed)],
    port, dataDir, log);
}

async function stop(child) {
  if (!child || child.exitCode !== null || child.signalCode) return null;
  child.kill('SIGTERM');
  const r = await Promise.race([child.exited, sleep(8000).then(() => null)]);
  if (!r) {
    child.kill('SIGKILL');
    throw new Error('warren did not exit within 8 s of SIGTERM');
  }
  return r;
}

// ------------------------------------------------------------------ tests
const browser = await chromium.launch({ executablePath: CHROMIUM,
  args: ARGS });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warren-dash-'));
let replay = null;
let demo = null;
let down = null;
let mocked = null;
let mock = null;
let lossy = null;
let deploy = null;
const demoLog = path.join(tmp, 'demo.log');
// The canary deployment of samples/deploy-canary.jsonl: a replay whose
// group page is opened at once, so that the deployment (60 s into the
// trace, 15 s at REPLAY_SPEED) reaches the open page by the stream's
// "rebalance" event; checked near the end. A page whose first /history
// answer already holds the deployment opened too late (a loaded
// machine): the replay starts again at half the speed, up to 3 times.
const DEPLOY_TRACE = path.join(path.dirname(fileURLToPath(import.meta.url)),
  '..', '..', 'samples', 'deploy-canary.jsonl');
let dpage = null;
let dctx = null;
let dHistory = [];
const canaries = (b) => ((b.history && b.history.rebalances) || [])
  .filter((x) => x.deployment === 'canary').length;
async function deployStart() {
  for (let attempt = 0, speed = REPLAY_SPEED; ; attempt++, speed /= 2) {
    const port = await freePort();
    deploy = await startReplay(DEPLOY_TRACE, port,
      path.join(tmp, `data-dep${attempt}`), path.join(tmp, 'deploy.log'),
      speed);
    dHistory = [];
    dctx = await browser.newContext(DESKTOP);
    dpage = await dctx.newPage();
    watch(dpage, 'deploy');
    // What each /history answer held: how many rebalances were canaries.
    const answers = dHistory;
    dpage.on('response', async (r) => {
      if (!/\/history\?/.test(r.url())) return;
      try {
        answers.push(canaries(await r.json()));
      } catch (e) {
        answers.push(-1);
      }
    });
    const first = dpage.waitForResponse((r) => /\/history\?/.test(r.url()),
      { timeout: 60000 });
    await dpage.goto(`http://127.0.0.1:${port}/#/clusters/local/groups/` +
      'search-indexer');
    const held = canaries(await (await first).json());
    if (held === 0 || attempt === 2) return;
    console.log(`note: the deployment page opened after the deployment ` +
      `at replay speed ${speed}; again at ${speed / 2}`);
    await dctx.close();
    await stop(deploy);
  }
}
try {
  await deployStart();
  const demoArgs = ['--demo', '--demo-speed', String(DEMO_SPEED), '--config',
    args.config];
  let demoPort = 0;
  if (!BASE) {
    // A first demo only serves the page; the demo the checks judge starts
    // once the page is open (below).
    demoPort = await freePort();
    demo = await startWarren(demoArgs, demoPort, path.join(tmp, 'data-page'),
      demoLog);
    BASE = `http://127.0.0.1:${demoPort}`;
  }
  // --- the demo, desktop, light ---
  const ctx = await browser.newContext({ ...DESKTOP, colorScheme: 'light' });
  // Every status each overview row shows, in order, recorded in the page
  // as it renders (a status shown for a moment is not missed by polling).
  await ctx.addInitScript(() => {
    window.__statusSeen = {};
    const record = () => {
      for (const r of document.querySelectorAll('a.row[data-group]')) {
        const seen = window.__statusSeen[r.dataset.group] ||= [];
        if (r.dataset.status && seen[seen.length - 1] !== r.dataset.status)
          seen.push(r.dataset.status);
      }
    };
    // Starts the record again from what the rows show now.
    window.__statusRestart = () => {
      window.__statusSeen = {};
      record();
    };
    new MutationObserver(record).observe(document, { subtree: true,
      childList: true, attributes: true, attributeFilter: ['data-status'] });
  });
  const page = await ctx.newPage();
  watch(page, 'demo');
  await page.goto(`${BASE}/`);
  await page.evaluate(() => {
    window.__noReload = 'marker';
  });
  // The demo's timeline is fixed ("reports" stops ~7 s after its start)
  // and a page can take longer than that to open on a loaded machine. So
  // the page opens on the first demo, and the checked demo starts from
  // the beginning on the same port with the page already showing: the
  // page reconnects to it by itself, as it would to a restarted server.
  let demoStartedAt = Date.now();
  if (demoPort) {
    await check('the open page follows the demo restarted on its port',
      async () => {
        await page.waitForSelector('a.row[data-group]', { timeout: 60000 });
        serverDown = true;
        const r = await stop(demo);
        assert(r && r.code === 0, `first demo exit ${JSON.stringify(r)}`);
        await page.waitForFunction(() => ['reconnecting', 'disconnected']
          .includes(document.getElementById('conn').dataset.state), null,
        { timeout: 20000 });
        await page.evaluate(() => window.__statusRestart());
        demoStartedAt = Date.now();
        demo = await startWarren(demoArgs, demoPort, args.data, demoLog);
        await page.waitForFunction(() => document.getElementById('conn')
          .dataset.state === 'live', null, { timeout: 30000 });
        serverDown = false;
      });
  }
  // Whether the page showed "reports" OK (it consumes for the first
  // ~7 s: before its first commits it may briefly be ERR, a single
  // commit looks stopped) before it showed it stopped.
  let reportsSawOK = false;

  await check('overview lists the demo groups with their statuses',
    async () => {
    const want = { billing: 'OK', analytics: 'WARN', audit: 'ERR',
      reports: 'ERR', archiver: 'OK' };
    const end = Date.now() + 75000;
    let got = {};
    while (Date.now() < end) {
      got = await rowStatuses(page);
      const seen = await page.evaluate(() => window.__statusSeen.reports ||
        []);
      reportsSawOK = seen.indexOf('OK') >= 0 &&
        seen.lastIndexOf('ERR') > seen.indexOf('OK');
      if (reportsSawOK && Object.entries(want).every(([g, s]) => got[g] &&
          got[g].status === s)) break;
      await sleep(500);
    }
    for (const [g, s] of Object.entries(want)) {
      assert(got[g], `no row for ${g}`);
      assert(got[g].status === s, `${g} is ${got[g].status}, want ${s}`);
    }
    assert(got.audit.word === 'stalled', `audit shows "${got.audit.word}"`);
    assert(got.reports.word === 'stopped',
      `reports shows "${got.reports.word}"`);
    assert(got.analytics.word === 'falling behind',
      `analytics shows "${got.analytics.word}"`);
    // Worst first: both ERR groups above WARN above OK.
    const order = await page.$$eval('a.row', (r) => r.map((x) =>
      x.dataset.group));
    assert(order.indexOf('analytics') > order.indexOf('audit') &&
      order.indexOf('analytics') > order.indexOf('reports') &&
      order.indexOf('billing') > order.indexOf('analytics'),
    `not sorted by severity: ${order.join(', ')}`);
    const tile = await page.$eval('.tile[data-filter="ERR"] .tile-count',
      (e) => e.textContent);
    assert(tile === '2', `Error tile counts ${tile}`);
    const total = await page.$eval('.tile[data-filter="all"] .tile-count',
      (e) => e.textContent);
    assert(total === '5', `All tile counts ${total}`);
    // Sparklines and "in status for" are filled in.
    await page.waitForFunction(() => document.querySelectorAll(
      'a.row .c-spark svg.spark').length === 5, null, { timeout: 15000 });
    const since = await page.$eval('a.row[data-group="audit"] .c-since',
      (e) => e.textContent);
    assert(/\d/.test(since), `audit "in status for" is "${since}"`);
  });

  await check('status change appears without reload (reports OK -> ERR)',
    async () => {
      assert(reportsSawOK, 'the page never showed reports OK before it ' +
        'showed it stopped ("reports" stops ~7 s after the demo starts); ' +
        'it showed ' + JSON.stringify(await page.evaluate(() =>
        window.__statusSeen.reports || [])) + ', the demo started ' +
        `${((Date.now() - demoStartedAt) / 1000).toFixed(1)} s ago`);
      // By now the previous check saw it ERR; the same document did it.
      const marker = await page.evaluate(() => window.__noReload);
      assert(marker === 'marker', 'the page was reloaded');
      const changes = await page.$$eval('.changes li', (li) => li.map((x) =>
        x.textContent));
      assert(changes.some((t) => /reports/.test(t) && /stopped/.test(t)),
        `no "reports ... stopped" in the change list: ${changes.join(' | ')}`);
    });

  await shoot(page, 'overview.png', false);

  await check('the filter narrows the list', async () => {
    await page.fill('#filter', 'aud');
    await page.waitForFunction(() => document.querySelectorAll('a.row')
      .length === 1, null, { timeout: 15000 });
    const g = await page.$eval('a.row', (r) => r.dataset.group);
    assert(g === 'audit', `filter "aud" shows ${g}`);
    assert(/Showing 1–1 of 1/.test(await page.textContent('#shown')),
      'count line does not say 1 of 1');
    await page.fill('#filter', 'no-such-group');
    await page.waitForSelector('.list-note button', { timeout: 15000 });
    await page.fill('#filter', '');
    await page.click('.tile[data-filter="OK"]');
    await page.waitForFunction(() => document.querySelectorAll('a.row')
      .length === 2, null, { timeout: 15000 });
    const ok = (await page.$$eval('a.row', (r) => r.map((x) =>
      x.dataset.group))).sort().join(',');
    assert(ok === 'archiver,billing', `OK filter shows ${ok}`);
    assert(await page.getAttribute('.tile[data-filter="OK"]',
      'aria-pressed') === 'true', 'OK tile not pressed');
    await page.selectOption('#status-filter', 'STALL');
    await page.waitForFunction(() => document.querySelectorAll('a.row')
      .length === 1, null, { timeout: 15000 });
    await page.click('.tile[data-filter="all"]');
    await page.waitForFunction(() => document.querySelectorAll('a.row')
      .length === 5, null, { timeout: 15000 });
  });

  await check('keyboard: rows are focusable, visibly, and Enter opens',
    async () => {
      await page.focus('#filter');
      await page.keyboard.press('ArrowDown');
      const first = await page.evaluate(() => document.activeElement
        .dataset.group);
      assert(first === 'audit' || first === 'reports',
        `first row focused is ${first}`);
      await page.keyboard.press('ArrowDown');
      const second = await page.evaluate(() => document.activeElement
        .dataset.group);
      assert(second && second !== first, 'ArrowDown did not move focus');
      const outline = await page.evaluate(() => getComputedStyle(
        document.activeElement).outlineStyle);
      assert(outline !== 'none', 'focused row has no visible outline');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#partitions tbody tr[data-key]',
        { timeout: 10000 });
      assert(decodeURIComponent(await page.evaluate(() => location.hash))
        .includes(`/groups/${second}`), 'Enter did not open the group');
      await page.goBack();
      await page.waitForSelector('a.row', { timeout: 15000 });
      const back = await page.evaluate(() => document.activeElement &&
        document.activeElement.dataset.group);
      assert(back === second, `focus after Back is on ${back}`);
    });

  await check('clicking the stalled group opens its page with chart, ' +
    'partitions and explanation', async () => {
    await page.click('a.row[data-group="audit"]');
    await page.waitForFunction(() => location.hash ===
      '#/clusters/local/groups/audit', null, { timeout: 15000 });
    await page.waitForSelector('#lag-chart svg.lag-chart', { timeout: 15000 });
    await page.waitForSelector('#partitions tbody tr[data-key]',
      { timeout: 10000 });
    await page.waitForSelector('#window-chart svg.window-chart',
      { timeout: 10000 });
    const h1 = await page.textContent('h1');
    assert(h1 === 'audit', `title is ${h1}`);
    const st = await page.getAttribute('.gstatus', 'data-status');
    assert(st === 'ERR', `group status ${st}`);
    const expl = await page.textContent('#explanation');
    assert(/stalled/.test(expl) && /committed offset/.test(expl),
      `explanation: ${expl}`);
    const rows = await page.$$eval('#partitions tbody tr[data-key]', (r) =>
      r.map((x) => [...x.cells].map((c) => c.textContent.trim())));
    assert(rows.length >= 1, 'no partition rows');
    for (const r of rows) {
      assert(r[0] === 'orders', `topic ${r[0]}`);
      assert(/stalled/.test(r[3]), `partition status ${r[3]}`);
      assert(r[4] === 'stalled', `rule ${r[4]}`);
      assert(/\d/.test(r[5]) && /\d/.test(r[7]) && /\d/.test(r[8]),
        `lag/committed/head missing: ${r.join(' | ')}`);
    }
    const lines = await page.$$eval('#lag-chart path.line-lag', (p) =>
      p.length);
    assert(lines === 1, 'lag chart has no offset-lag line');
    const commits = await page.$$eval('#window-chart circle.pt-commit',
      (c) => c.length);
    assert(commits >= 2, `window chart shows ${commits} commits`);
    const inc = await page.textContent('#incidents');
    assert(/no webhook notifier|Notifiers:|No notifier/.test(inc),
      `incidents section: ${inc}`);
    // Choosing another partition redraws the evidence for it.
    const keys = await page.$$eval('#partitions tbody tr[data-key]', (r) =>
      r.map((x) => x.dataset.key));
    if (keys.length > 1) {
      // The row is found by its key each time: a tick may redraw the
      // table between the focus and the key press (the press then goes
      // to the page, so it is tried again, up to three times).
      const key = keys[keys.length - 1];
      const selected = () => page.evaluate((k) => {
        const tr = [...document.querySelectorAll('#partitions tbody tr')]
          .find((x) => x.dataset.key === k);
        return tr ? tr.getAttribute('aria-selected') : null;
      }, key);
      let sel = null;
      for (let i = 0; i < 3 && sel !== 'true'; i++) {
        await page.evaluate((k) => [...document.querySelectorAll(
          '#partitions tbody tr')].find((x) => x.dataset.key === k).focus(),
        key);
        await page.keyboard.press('Enter');
        await page.waitForFunction((k) => [...document.querySelectorAll(
          '#partitions tbody tr')].find((x) => x.dataset.key === k)
          ?.getAttribute('aria-selected') === 'true', key, { timeout: 3000 })
          .catch(() => {});
        sel = await selected();
      }
      assert(sel === 'true', 'Enter on a partition row does not select it');
      const title = await page.textContent('#window-h');
      assert(title.includes(`partition ${keys[keys.length - 1].split(
        '\u0000')[1]}`), `evidence title: ${title}`);
    }
  });

  await check('a group page opened by its link keeps its explanation, ' +
    'since and status label past two ticks', async () => {
    // The link every alert carries opens the group page first, before
    // the model knows the group; the first ticks must not blank what the
    // page fetched itself. Every rendering of the head is recorded in the
    // page (with the tick count it was drawn at), so a blank one between
    // two polls is not missed.
    const c = await browser.newContext(DESKTOP);
    await c.addInitScript(() => {
      window.__heads = [];
      const record = () => {
        const box = document.querySelector('.gstatus');
        const expl = document.getElementById('explanation');
        const since = document.querySelector('.facts dd');
        if (!box || !expl || !since) return;
        const h = { ticks: window.warren ? window.warren.model.ticks : 0,
          status: box.dataset.status,
          word: box.querySelector('.badge-word')?.textContent || '',
          expl: expl.textContent.trim(), since: since.textContent };
        const last = window.__heads[window.__heads.length - 1];
        if (!last || last.ticks !== h.ticks || last.word !== h.word ||
            last.expl !== h.expl || last.since !== h.since) {
          window.__heads.push(h);
        }
      };
      // Starts the record again from what the rows show now.
    window.__statusRestart = () => {
      window.__statusSeen = {};
      record();
    };
    new MutationObserver(record).observe(document, { subtree: true,
        childList: true, characterData: true, attributes: true });
    });
    const p = await c.newPage();
    watch(p, 'direct-link');
    await p.goto(`${BASE}/#/clusters/local/groups/audit`);
    const full = (h) => h.status === 'ERR' && h.word === 'stalled' &&
      /stalled/.test(h.expl) && /\d/.test(h.since);
    await p.waitForFunction(() => window.__heads.some((h) =>
      h.word === 'stalled' && /stalled/.test(h.expl) && /\d/.test(h.since)),
    null, { timeout: 20000 });
    // window.warren is set once the app has started, which can come
    // after its first drawing of the group.
    await p.waitForFunction(() => window.warren && window.warren.model, null,
      { timeout: 20000 });
    const t0 = await p.evaluate(() => window.warren.model.ticks);
    // Two evaluation passes (tick events) after the page had it all, and
    // the head drawn after the second.
    await p.waitForFunction((t) => window.__heads.some((h) =>
      h.ticks >= t + 2), t0, { timeout: 40000 });
    const heads = await p.evaluate(() => window.__heads);
    const first = heads.findIndex(full);
    const lost = heads.slice(first).filter((h) => !full(h));
    assert(!lost.length, `after tick ${lost.length && lost[0].ticks} the ` +
      `head shows "${lost.length && lost[0].word}", explanation ` +
      `"${lost.length && lost[0].expl}", since "${lost.length &&
        lost[0].since}"`);
    await c.close();
  });

  await check('theme toggle switches between light and dark', async () => {
    const bg0 = await page.evaluate(() => getComputedStyle(document.body)
      .backgroundColor);
    await page.click('#theme-toggle');
    const theme = await page.evaluate(() => document.documentElement
      .dataset.theme);
    assert(theme === 'dark', `data-theme ${theme}`);
    const bg1 = await page.evaluate(() => getComputedStyle(document.body)
      .backgroundColor);
    assert(bg0 !== bg1, 'background did not change');
    assert(await page.getAttribute('#theme-toggle', 'aria-pressed') ===
      'true', 'toggle not pressed');
    await page.click('#theme-toggle');
    await page.evaluate(() => localStorage.removeItem('warren-theme'));
  });

  await check('incidents and webhook deliveries of the group are shown',
    async () => {
      // The script gives the demo two notifiers: "ops" (WARN, its
      // receiver answers 200) and "pager" (ERR, answered 503).
      await page.waitForFunction(() => {
        const t = document.getElementById('incidents').textContent;
        return /ops/.test(t) && /pager/.test(t) && /delivered/.test(t) &&
          /failed/.test(t);
      }, null, { timeout: 40000 });
      const text = await page.textContent('#incidents');
      assert(/opened/.test(text), `no "opened" event: ${text}`);
      assert(/HTTP 200/.test(text) && /HTTP 503/.test(text),
        `HTTP results missing: ${text}`);
      const open = await page.$$eval('#incidents .incident .pill.open',
        (p) => p.length);
      assert(open >= 1, 'no open incident shown');
      await shoot(page, 'group.png', true);
      await page.click('a.back');
      await page.waitForSelector('.alerts:not([hidden])', { timeout: 10000 });
      const summary = await page.textContent('.alerts');
      assert(/ops — [1-9]\d* open incident/.test(summary),
        `overview says: ${summary}`);
    });

  await check('a server without notifiers (404) is handled', async () => {
    const c = await browser.newContext(DESKTOP);
    await c.route('**/v3/notifiers', (route) => route.fulfill({
      status: 404, contentType: 'text/plain; charset=utf-8',
      body: '{"error":true,"message":"invalid request type","result":{}}' }));
    const p = await c.newPage();
    watch(p, 'no-notifiers');
    await p.goto(`${BASE}/#/clusters/local/groups/audit`);
    await p.waitForFunction(() => /no webhook notifier/.test(
      document.getElementById('incidents').textContent), null,
    { timeout: 15000 });
    await p.waitForSelector('#partitions tbody tr[data-key]',
      { timeout: 10000 });
    await p.click('a.back');
    await p.waitForSelector('a.row', { timeout: 10000 });
    assert(await p.isHidden('.alerts'), 'notifier card shown without them');
    await c.close();
  });

  await check('a silence is marked on its group and listed', async () => {
    const until = new Date(Date.now() + 3600e3).toISOString();
    const r = await fetch(`${BASE}/v3/silences`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json',
        Authorization: `Bearer ${args.token}` },
      body: JSON.stringify({ group: 'reports', cluster: 'local', until,
        comment: 'moving the reports job', created_by: 'dashboard-test' }),
    });
    assert(r.status === 201, `POST /v3/silences answered ${r.status}`);
    const p = await ctx.newPage();
    watch(p, 'silences');
    await p.goto(`${BASE}/`);
    await p.waitForSelector('a.row[data-group="reports"] .pill.silenced',
      { timeout: 20000 });
    assert(!await p.$('a.row[data-group="audit"] .pill.silenced'),
      'audit is marked silenced too');
    const label = await p.getAttribute('a.row[data-group="reports"]',
      'aria-label');
    assert(/notifications silenced/.test(label), `row label: ${label}`);
    await p.waitForSelector('#silences:not([hidden])', { timeout: 10000 });
    const card = await p.textContent('#silences');
    assert(/groups matching reports in clusters matching local/.test(card) &&
      /moving the reports job/.test(card) && /dashboard-test/.test(card),
    `silences card: ${card}`);
    await shoot(p, 'overview-silenced.png', true);
    await p.click('a.row[data-group="reports"]');
    await p.waitForSelector('#silence-note:not([hidden])',
      { timeout: 15000 });
    const note = await p.textContent('#silence-note');
    assert(/silenced until/.test(note) && /moving the reports job/.test(note),
      `group page note: ${note}`);
    await shoot(p, 'group-silenced.png');
    await p.close();
  });
  await ctx.close();

  // --- dark (system preference) and phone width ---
  await check('dark theme and phone width render without overflow',
    async () => {
      for (const [suffix, opts] of [['dark', { ...DESKTOP,
        colorScheme: 'dark' }], ['phone', { ...PHONE, colorScheme: 'light' }],
      ['phone-dark', { ...PHONE, colorScheme: 'dark' }]]) {
        const c = await browser.newContext(opts);
        const p = await c.newPage();
        watch(p, suffix);
        await p.goto(`${BASE}/`);
        await p.waitForFunction(() => document.querySelectorAll(
          'a.row .c-spark svg').length === 5, null, { timeout: 20000 });
        const bg = await p.evaluate(() => getComputedStyle(document.body)
          .backgroundColor);
        const dark = /dark/.test(suffix);
        assert(dark === (bg === 'rgb(13, 17, 23)'), `${suffix}: body ${bg}`);
        const over = await p.evaluate(() => document.documentElement
          .scrollWidth - window.innerWidth);
        assert(over <= 0, `${suffix}: overview is ${over}px too wide`);
        await shoot(p, `overview-${suffix}.png`, true);
        await p.click('a.row[data-group="audit"]');
        await p.waitForSelector('#window-chart svg.window-chart',
          { timeout: 15000 });
        await p.waitForSelector('#lag-chart svg', { timeout: 15000 });
        const over2 = await p.evaluate(() => document.documentElement
          .scrollWidth - window.innerWidth);
        assert(over2 <= 0, `${suffix}: group page is ${over2}px too wide`);
        await shoot(p, `group-${suffix}.png`, true);
        // Every partition's status badge is whole: inside its cell and
        // inside the table's scroll box, its word not cut (the longest
        // word, "falling behind", is the WARN group's).
        for (const grp of ['audit', 'analytics']) {
          await p.goto(`${BASE}/#/clusters/local/groups/${grp}`);
          // The same document changes its hash: wait for this group's
          // page, not the badges still shown from the one before.
          await p.waitForFunction((g) => document.querySelector('h1')
            ?.textContent === g && document.querySelector(
            '#partitions tbody tr[data-key] td .badge'), grp,
          { timeout: 15000 });
          const cut = await p.$$eval('#partitions tbody td .badge', (bs) =>
            bs.filter((b) => b.isConnected).map((b) => {
              const r = b.getBoundingClientRect();
              const td = b.closest('td').getBoundingClientRect();
              const wrap = (b.closest('.table-wrap') || document.body)
                .getBoundingClientRect();
              const w = b.querySelector('.badge-word');
              const bad = r.left < td.left - 0.5 || r.right > td.right + 0.5 ||
                r.left < wrap.left - 0.5 || r.right > wrap.right + 0.5 ||
                w.scrollWidth > w.clientWidth + 0.5 ||
                b.scrollWidth > b.clientWidth + 0.5;
              return bad ? `${w.textContent} ${Math.round(r.left)}-` +
                `${Math.round(r.right)} in ${Math.round(td.left)}-` +
                `${Math.round(td.right)}` : '';
            }).filter(Boolean));
          assert(!cut.length, `${suffix}: ${grp}'s partition badges are ` +
            `clipped: ${cut.join('; ')}`);
        }
        await c.close();
      }
    });

  // --- 1000 groups from a replay ---
  step('replay part');
  const trace = path.join(tmp, 'groups-1000.jsonl');
  const t0 = Date.now();
  writeTrace(trace, 1000, t0, 240000);
  const rport = await freePort();
  const RBASE = `http://127.0.0.1:${rport}`;
  const rlog = path.join(tmp, 'replay.log');
  let rpage = null;
  let rctx = null;
  let historyRequests = 0;
  let canaryFirst = '';
  await check('1000 groups: renders, pages, and filters', async () => {
    step('trace written');
    replay = await startReplay(trace, rport, path.join(tmp, 'data1'), rlog);
    step('replay up');
    rctx = await browser.newContext(DESKTOP);
    rpage = await rctx.newPage();
    watch(rpage, 'replay');
    rpage.on('request', (r) => {
      if (/\/history\?/.test(r.url())) historyRequests++;
    });
    await rpage.goto(`${RBASE}/`);
    await rpage.evaluate(() => {
      window.__noReload = 'marker';
    });
    // The canary's status when the page first knows it (see below).
    await rpage.waitForFunction(() => {
      const g = window.warren && window.warren.model.get('local',
        'canary-stops');
      return g && g.status;
    }, null, { timeout: 20000 });
    step('canary known');
    canaryFirst = await rpage.evaluate(() => window.warren.model.get(
      'local', 'canary-stops').status);
    await rpage.waitForFunction(() => document.querySelector(
      '.tile[data-filter="all"] .tile-count').textContent === '1,001', null,
    { timeout: 30000 });
    step('1001 listed');
    const rows = await rpage.$$eval('a.row', (r) => r.length);
    assert(rows === 50, `${rows} rows on the first page, want 50`);
    assert(/Page 1 of 21/.test(await rpage.textContent('.page-info')),
      await rpage.textContent('.page-info'));
    // Statuses arrive (ticks) and sort the worst first.
    await rpage.waitForFunction(() => {
      const n = (f) => Number(document.querySelector(
        `.tile[data-filter="${f}"] .tile-count`).textContent.replace(/,/g, ''));
      return n('ERR') >= 20 && n('WARN') >= 50 && n('OK') >= 500;
    }, null, { timeout: 60000 });
    step('statuses in');
    const firstStatus = await rpage.$eval('a.row', (r) => r.dataset.status);
    assert(firstStatus === 'ERR', `first row is ${firstStatus}`);
    // Next, Previous, Next in one turn of the page's event loop, each
    // rendering at once: ticks re-sort the rows as statuses change, so
    // rows read at two moments may rightly overlap.
    const { page1, page2, info } = await rpage.evaluate(() => {
      const rows = () => [...document.querySelectorAll('a.row')].map((x) =>
        x.dataset.group);
      const go = (i) => document.querySelectorAll('.pager button')[i].click();
      go(1);
      const p2 = rows();
      const i2 = document.querySelector('.page-info').textContent;
      go(0);
      const p1 = rows();
      go(1);
      return { page1: p1, page2: p2, info: i2 };
    });
    step('page 1 checked');
    assert(/Page 2 of 21/.test(info), `after Next: ${info}`);
    assert(page2.length === 50 && page2.every((g) => !page1.includes(g)),
      'page 2 repeats page 1');
    step('page 2 checked');
    await rpage.fill('#filter', 'payments-svc-0420');
    await rpage.waitForFunction(() => document.querySelectorAll('a.row')
      .length === 1, null, { timeout: 15000 });
    assert(await rpage.$eval('a.row', (r) => r.dataset.group) ===
      'payments-svc-0420', 'unique filter shows another group');
    step('unique name filtered');
    await rpage.fill('#filter', 'payments');
    await rpage.waitForFunction(() => /of 100$/.test(document.querySelector(
      '#shown').textContent), null, { timeout: 15000 });
    await rpage.fill('#filter', '');
    step('team filtered');
    await rpage.click('.tile[data-filter="ERR"]');
    await rpage.waitForFunction(() => {
      const r = [...document.querySelectorAll('a.row')];
      return r.length > 0 && r.every((x) => x.dataset.status === 'ERR');
    }, null, { timeout: 15000 });
    // Ticks keep changing the counts (groups stop as the replay runs), so
    // compare the list with the tile as of the same render.
    await rpage.waitForFunction(() => {
      const num = (t) => Number(String(t).replace(/,/g, ''));
      const count = num(document.querySelector(
        '.tile[data-filter="ERR"] .tile-count').textContent);
      const m = /of ([\d,]+)$/.exec(
        document.querySelector('#shown').textContent);
      return count > 0 && m !== null && num(m[1]) === count;
    }, null, { timeout: 30000 }).catch(async () => {
      throw new Error('ERR filter: ' + await rpage.textContent('#shown') +
        ' vs tile ' + await rpage.textContent(
          '.tile[data-filter="ERR"] .tile-count'));
    });
    step('filters done');
    await rpage.click('.tile[data-filter="all"]');
    await rpage.waitForSelector('a.row');
    await rpage.waitForFunction(() => document.querySelectorAll(
      'a.row .c-spark svg').length === 50, null, { timeout: 20000 });
    step('sparklines');
    await shoot(rpage, 'overview-1000.png', false);
    // Histories are fetched for the rows shown (a few pages of 50), not
    // for all 1001 groups.
    assert(historyRequests > 0 && historyRequests < 400,
      `${historyRequests} history requests`);
  });

  await check('live change without reload on the replay (canary stops)',
    async () => {
      assert(rpage, 'no replay page');
      assert(canaryFirst === 'OK', 'the canary was ' +
        `${canaryFirst || 'unknown'} when the page opened`);
      await rpage.fill('#filter', 'canary');
      await rpage.waitForFunction(() => document.querySelectorAll('a.row')
        .length === 1, null, { timeout: 15000 });
      await rpage.waitForFunction(() => {
        const r = document.querySelector('a.row');
        return r && r.dataset.status === 'ERR';
      }, null, { timeout: 90000 });
      // A transition the page learns from a tick rather than from its
      // status event shows "error" until the group's detail is fetched.
      await rpage.waitForFunction(() => {
        const w = document.querySelector('a.row .badge-word');
        return w && w.textContent === 'stopped';
      }, null, { timeout: 15000 }).catch(async () => {
        throw new Error('canary shows "' + await rpage.$eval(
          'a.row .badge-word', (e) => e.textContent) + '"');
      });
      assert(await rpage.evaluate(() => window.__noReload) === 'marker',
        'the page was reloaded');
    });

  await check('disconnected indicator shows and the page reconnects',
    async () => {
      assert(rpage && replay, 'no replay page');
      const live = await rpage.getAttribute('#conn', 'data-state');
      assert(live === 'live', `indicator ${live} before the stop`);
      serverDown = true;
      const r = await stop(replay);
      assert(r && r.code === 0, `warren exit ${JSON.stringify(r)} on SIGTERM`);
      await rpage.waitForFunction(() => ['reconnecting', 'disconnected']
        .includes(document.getElementById('conn').dataset.state), null,
      { timeout: 20000 });
      const text = await rpage.textContent('#conn');
      assert(/Disconnected/.test(text), `indicator says "${text}"`);
      const banner = await rpage.textContent('#offline');
      assert(await rpage.isVisible('#offline') && /lost/.test(banner),
        'no "connection lost" banner');
      await shoot(rpage, 'overview-disconnected.png', false);
      replay = await startReplay(trace, rport, path.join(tmp, 'data2'), rlog);
      await rpage.waitForFunction(() => document.getElementById('conn')
        .dataset.state === 'live', null, { timeout: 30000 });
      // refused requests sent while it was down may be told until the
      // page is live again
      serverDown = false;
      assert(!(await rpage.isVisible('#offline')), 'banner still shown');
      await rpage.fill('#filter', '');
      await rpage.waitForFunction(() => document.querySelector(
        '.tile[data-filter="all"] .tile-count').textContent === '1,001', null,
      { timeout: 30000 });
      assert(await rpage.evaluate(() => window.__noReload) === 'marker',
        'the page was reloaded');
    });
  if (rctx) await rctx.close();

  // A Kafka cluster whose only broker is a closed port: its banner with
  // the reason, the groups page saying why it is empty, and no green
  // "Live" while the only cluster is down. Waits on the page's own state.
  await check('an unreachable cluster shows its banner, reason and no green',
    async () => {
      const closed = await freePort();
      const dport = await freePort();
      const ini = path.join(tmp, 'down.ini');
      fs.writeFileSync(ini, '[broker]\nlisten = none\n[cluster prod]\n' +
        `source = kafka\nservers = 127.0.0.1:${closed}\n` +
        'offset-refresh = 1s\n');
      down = await startWarren(['--config', ini], dport,
        path.join(tmp, 'data-down'), path.join(tmp, 'down.log'));
      const dctx = await browser.newContext({ ...DESKTOP,
        colorScheme: 'light' });
      const dpage = await dctx.newPage();
      watch(dpage, 'down');
      await dpage.goto(`http://127.0.0.1:${dport}/`);
      const sel = '.cluster-banner[data-cluster="prod"]' +
        '[data-kind="unavailable"]';
      // the reason is the source's last error once a refresh failed
      // (librdkafka's words vary: refused, transport failure, ...)
      const reason = /Cluster prod is unavailable: (?!not reached yet)\S/;
      await dpage.waitForFunction(([q, re]) => {
        const b = document.querySelector(q);
        return b && new RegExp(re).test(b.textContent);
      }, [sel, reason.source], { timeout: 30000 }).catch(async () => {
        throw new Error('banner: ' + JSON.stringify(await dpage.$$eval(
          '.cluster-banner', (bs) => bs.map((b) => b.textContent))));
      });
      const api = await (await fetch(`http://127.0.0.1:${dport}` +
        '/v3/kafka/prod')).json();
      const st = api.module.status;
      assert(st.state === 'unavailable' && st.last_error,
        `the API says ${JSON.stringify(st)}`);
      await dpage.waitForFunction(() => document.getElementById('conn')
        .dataset.state === 'degraded', null, { timeout: 20000 });
      const conn = await dpage.textContent('#conn');
      assert(!/Live/.test(conn), `indicator says "${conn}"`);
      const colours = await dpage.evaluate(() => {
        const css = getComputedStyle(document.documentElement);
        const probe = document.createElement('span');
        probe.style.color = css.getPropertyValue('--ok');
        document.body.appendChild(probe);
        const ok = getComputedStyle(probe).color;
        probe.remove();
        return { ok, dot: getComputedStyle(
          document.querySelector('#conn .dot')).backgroundColor };
      });
      assert(colours.dot !== colours.ok, `the dot is green (${colours.dot})`);
      await dpage.waitForFunction((re) => {
        const n = document.querySelector('.list-note .empty-why');
        return n && /No consumer groups to show/.test(n.textContent) &&
          new RegExp(re).test(n.textContent);
      }, reason.source, { timeout: 20000 }).catch(async () => {
        throw new Error('groups page says "' +
          await dpage.textContent('.list-note') + '"');
      });
      await shoot(dpage, 'overview-cluster-down.png', false);
      await dctx.close();
      // on a phone the banner wraps its reason: nothing wider than the page
      const pctx = await browser.newContext({ ...PHONE, colorScheme: 'light' });
      const ppage = await pctx.newPage();
      watch(ppage, 'down-phone');
      await ppage.goto(`http://127.0.0.1:${dport}/`);
      await ppage.waitForFunction(([q, re]) => {
        const b = document.querySelector(q);
        return b && new RegExp(re).test(b.textContent);
      }, [sel, reason.source], { timeout: 30000 });
      // (a mobile page wider than its screen widens its layout viewport,
      // so the bound is the screen's width, not innerWidth)
      const wide = await ppage.evaluate((w) => [...document.querySelectorAll(
        'body *')].filter((e) => e.getBoundingClientRect().right > w + 0.5)
        .map((e) => `${e.tagName}.${e.className.baseVal ?? e.className}`),
      PHONE.viewport.width);
      await shoot(ppage, 'overview-cluster-down-phone.png', false);
      await pctx.close();
      assert(wide.length === 0, `phone: wider than the page: ${wide}`);
      const r = await stop(down);
      down = null;
      assert(r && r.code === 0, `warren exit ${JSON.stringify(r)}`);
    });

  // librdkafka's mock cluster (tests/helpers/kafka_mock --quiet), which
  // refuses ListGroups: a banner says the cluster cannot list groups; then
  // every broker goes down and the banner says it is unavailable, when it
  // was last read and that its groups keep their last status.
  await check('a cluster that cannot list groups, then goes down, says so',
    async () => {
      const bin = process.env.KAFKA_MOCK ||
        path.join(path.dirname(WARREN), 'helpers', 'kafka_mock');
      assert(fs.existsSync(bin), `no kafka_mock at ${bin}`);
      mock = spawn(bin, ['--quiet'], { stdio: ['pipe', 'pipe', 'ignore'] });
      let out = '';
      const servers = await new Promise((resolve, reject) => {
        mock.stdout.on('data', (d) => {
          out += d;
          const nl = out.indexOf('\n');
          if (nl > 0) resolve(out.slice(0, nl));
        });
        mock.on('exit', () => reject(new Error('kafka_mock exited')));
      });
      const mport = await freePort();
      const ini = path.join(tmp, 'mock.ini');
      fs.writeFileSync(ini, '[broker]\nlisten = none\n[cluster mock]\n' +
        `source = kafka\nservers = ${servers}\noffset-refresh = 1s\n` +
        'groups = named-group\n');
      mocked = await startWarren(['--config', ini], mport,
        path.join(tmp, 'data-mock'), path.join(tmp, 'mock.log'));
      const mctx = await browser.newContext({ ...DESKTOP,
        colorScheme: 'light' });
      const mpage = await mctx.newPage();
      watch(mpage, 'mock');
      await mpage.goto(`http://127.0.0.1:${mport}/`);
      // the banner, and no "unavailable" nor a degraded indicator while
      // the cluster is read (a refresh that timed out on a loaded machine
      // is told truly as unavailable: the page is judged once one
      // refresh has read the cluster)
      const mlog = path.join(tmp, 'mock.log');
      await mpage.waitForFunction(() => {
        const b = document.querySelector('.cluster-banner[data-cluster=' +
          '"mock"][data-kind="cannot-list"]');
        return b && /cannot list consumer groups/.test(b.textContent) &&
          !document.querySelector('.cluster-banner[data-kind=' +
            '"unavailable"]') &&
          document.getElementById('conn').dataset.state !== 'degraded';
      }, null, { timeout: 30000 }).catch(async () => {
        throw new Error('banners ' + JSON.stringify(await mpage.$$eval(
          '.cluster-banner', (bs) => bs.map((b) => b.textContent))) +
          `, indicator ${await mpage.getAttribute('#conn', 'data-state')}; ` +
          `its log ends: ${logTail(mlog, 8)}`);
      });
      // the empty list says why instead of "No consumer groups yet"
      await mpage.waitForFunction(() => new RegExp('No consumer groups to ' +
        'show.*cannot list consumer groups').test(document.querySelector(
        '.list-note')?.textContent || ''), null, { timeout: 20000 });
      await shoot(mpage, 'overview-cannot-list.png', false);
      mock.stdin.write('down -1\n');
      await mpage.waitForFunction(() => {
        const b = document.querySelector('.cluster-banner[data-cluster=' +
          '"mock"][data-kind="unavailable"]');
        return b && /Last read .* ago; its groups keep their last status/
          .test(b.textContent);
      }, null, { timeout: 60000 }).catch(async () => {
        throw new Error('after down: ' + JSON.stringify(await mpage.$$eval(
          '.cluster-banner', (bs) => bs.map((b) => b.textContent))));
      });
      await mpage.waitForFunction(() => document.getElementById('conn')
        .dataset.state === 'degraded', null, { timeout: 20000 });
      await shoot(mpage, 'overview-cluster-went-down.png', false);
      await mctx.close();
      const r = await stop(mocked);
      mocked = null;
      assert(r && r.code === 0, `warren exit ${JSON.stringify(r)}`);
    });
  if (mock) {
    mock.kill('SIGTERM');
    mock = null;
  }

  // Data loss on the embedded broker: `warren broker` writes 10 records
  // to a topic with retention.bytes = 4096 and segment.bytes = 1024,
  // group "lost" commits offset 1, 400 more records follow; warren serve
  // (retention checked every second) deletes the segments past the
  // commit. The group page shows the data-loss status and sentence, the
  // partition's retention cell and the retention fact.
  await check('a group whose commit retention deleted shows data loss',
    async () => {
      const bdir = path.join(tmp, 'data-lossy', 'broker');
      const run = (args, input) => execFileSync(WARREN, ['broker', ...args,
        '--data-dir', bdir], { input, stdio: ['pipe', 'ignore', 'pipe'] });
      run(['produce', '--topic', 'shrink', '--config', 'segment.bytes=1024',
        '--config', 'retention.bytes=4096'],
      Array.from({ length: 10 }, (_, i) => `r${i}`).join('\n') + '\n');
      run(['consume', '--topic', 'shrink', '--group', 'lost', '--max', '1',
        '--reset', 'earliest', '--commit', 'sync'], '');
      run(['produce', '--topic', 'shrink'],
        `${'r'.repeat(100)}\n`.repeat(400));
      const lport = await freePort();
      const ini = path.join(tmp, 'lossy.ini');
      fs.writeFileSync(ini, '[broker]\nlisten = none\n' +
        'retention-check-interval = 1s\n[evaluator]\nexpire-cache = 0\n');
      lossy = await startWarren(['--config', ini], lport,
        path.join(tmp, 'data-lossy'), path.join(tmp, 'lossy.log'));
      const lctx = await browser.newContext({ ...DESKTOP,
        colorScheme: 'light' });
      const lpage = await lctx.newPage();
      watch(lpage, 'lossy');
      await lpage.goto(`http://127.0.0.1:${lport}/#/clusters/local/groups/lost`);
      await lpage.waitForFunction(() => {
        const c = document.querySelector('#partitions td.retention');
        const e = document.getElementById('explanation');
        return c && /^data loss: [1-9][\d,]* records$/.test(c.textContent) &&
          /below the log start \d+: retention deleted \d+ records the group had not read \(data loss\)/
            .test(e.textContent);
      }, null, { timeout: 30000 }).catch(async () => {
        throw new Error('page says: ' + JSON.stringify(await lpage.evaluate(
          () => ({ expl: document.getElementById('explanation').textContent,
            cell: (document.querySelector('#partitions td.retention') || {})
              .textContent }))));
      });
      const seen = await lpage.evaluate(() => ({
        status: document.querySelector('.gstatus').textContent,
        part: document.querySelector('#partitions td.pstatus').textContent,
        rule: document.querySelector('#partitions tr td:nth-child(5)')
          .textContent,
        fact: [...document.querySelectorAll('.facts div')].map((d) =>
          d.textContent).find((t) => t.startsWith('Retention')),
      }));
      assert(/data loss/.test(seen.status) && /data loss/.test(seen.part),
        `status "${seen.status}", partition "${seen.part}"`);
      assert(/data-loss|data loss/.test(seen.rule), `rule "${seen.rule}"`);
      assert(/data loss on 1 partition: retention deleted [\d,]+ records/
        .test(seen.fact || ''), `fact "${seen.fact}"`);
      await shoot(lpage, 'group-data-loss.png', false);
      await lctx.close();
      const r = await stop(lossy);
      lossy = null;
      assert(r && r.code === 0, `warren exit ${JSON.stringify(r)}`);
    });

  // The canary deployment reached the open page by the stream: listed
  // under the group with its kind and sentence, drawn as a marker on the
  // lag chart whose tooltip and hover read-out are the sentence, without
  // another /history request.
  await check('a deployment shows live on the group page: listed, ' +
    'marked on the lag chart, its sentence as the tooltip', async () => {
    await dpage.waitForFunction(() => document.querySelector(
      '#rebalances li.rebalance[data-deployment="canary"]') &&
      document.querySelector('#lag-chart .rb-mark[data-deployment="canary"]'),
    null, { timeout: 60000 }).catch(async () => {
      throw new Error('page shows: ' + JSON.stringify(await dpage.evaluate(
        () => ({ list: document.getElementById('rebalances').textContent,
          marks: document.querySelectorAll('#lag-chart .rb-mark').length,
          seen: window.warren && window.warren.model.rebalancesSeen('local',
            'search-indexer').count }))));
    });
    const seen = await dpage.evaluate(() => ({
      stream: window.warren.model.rebalancesSeen('local', 'search-indexer')
        .list.filter((r) => r.deployment === 'canary').length,
      kind: document.querySelector('#rebalances li.rebalance .rb-kind')
        .textContent,
      sentence: document.querySelector('#rebalances li.rebalance ' +
        '.rb-sentence').textContent,
      title: document.querySelector('#lag-chart .rb-mark title').textContent,
      summary: document.querySelector('#lag-chart svg')
        .getAttribute('aria-label'),
    }));
    assert(dHistory.length >= 1 && dHistory[0] === 0,
      `the first /history answer already held the canary (${dHistory}): ` +
      'the page opened after the deployment');
    assert(seen.stream === 1, `canary events from the stream: ${seen.stream}`);
    assert(dHistory.length === 1, `/history asked ${dHistory.length} times`);
    assert(seen.kind === 'canary deployment', `kind "${seen.kind}"`);
    const want = /canary deployment: 1 member joined \(indexer-v2\), 3 -> 4 members/i;
    assert(want.test(seen.sentence), `sentence "${seen.sentence}"`);
    assert(want.test(seen.title), `marker title "${seen.title}"`);
    assert(/1 rebalance\./.test(seen.summary), `summary "${seen.summary}"`);
    const box = await dpage.locator('#lag-chart .rb-mark .rb-hit')
      .boundingBox();
    await dpage.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = await dpage.evaluate(() => {
      const t = document.querySelector('#lag-chart .chart-tip');
      return t && !t.hidden ? t.textContent : '';
    });
    assert(want.test(tip), `hover read-out "${tip}"`);
    await shoot(dpage, 'group-deployment.png', true);
    await dctx.close();
    const r = await stop(deploy);
    deploy = null;
    assert(r && r.code === 0, `warren exit ${JSON.stringify(r)}`);
  });

  await check('no console errors', async () => {
    const errors = consoleErrors.filter((e) => !(e.notFound &&
      notFoundAnswers.has(e.url))).map((e) => e.text);
    assert(errors.length === 0, `${errors.length}: ` +
      errors.slice(0, 5).join(' || '));
  });
  if (demo) {
    await check('the demo warren exits 0 on SIGTERM', async () => {
      const r = await stop(demo);
      demo = null;
      assert(r && r.code === 0, `exit ${JSON.stringify(r)}`);
    });
  }
} finally {
  if (results.some((r) => !r.ok) && fs.existsSync(demoLog)) {
    console.log('--- demo warren log (tail)');
    console.log(logTail(demoLog, 30, false));
  }
  try {
    await stop(demo);
  } catch (e) {
    console.log(`note: ${e.message}`);
  }
  try {
    await stop(down);
    await stop(mocked);
    await stop(lossy);
    await stop(deploy);
  } catch (e) {
    console.log(`note: ${e.message}`);
  }
  if (mock) mock.kill('SIGTERM');
  try {
    const r = await stop(replay);
    if (r && r.code !== 0) console.log(`note: replay warren exited ${r.code}`);
  } catch (e) {
    console.log(`note: ${e.message}`);
  }
  await browser.close();
  fs.rmSync(tmp, { recursive: true, force: true });
}

const failed = results.filter((r) => !r.ok).length;
console.log(`dashboard: ${results.length - failed} passed, ${failed} failed; ` +
  `screenshots in ${OUT}`);
process.exit(failed ? 1 : 0);
