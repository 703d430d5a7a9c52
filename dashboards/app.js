// SPDX-License-Identifier: Apache-2.0
// Entry point: the hash router (#/ = overview, #/clusters/C/groups/G =
// a group; #/group/C/G is accepted too), the theme switch, the connection
// indicator, one banner per cluster that cannot be read (unavailable,
// stale, cannot list groups, partitions offline: the reason from GET
// /v3/kafka/C, asked again every 5 s) and the /v3/events stream feeding
// the model. The indicator is green only while the stream is live and at
// least one cluster can be seen.

import { EventStream } from './api.js';
import { h, icon, replaceChildren } from './dom.js';
import { Model } from './model.js';
import { mountOverview } from './overview.js';
import { mountGroup } from './group.js';
import { fmtMs } from './format.js';

const model = new Model();
const main = document.getElementById('main');
let view = null;
let viewKey = '';
let lastGroup = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const qi = raw.indexOf('?');
  const path = qi >= 0 ? raw.slice(0, qi) : raw;
  const params = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
  const seg = path.split('/').filter(Boolean).map((x) => {
    try {
      return decodeURIComponent(x);
    } catch (e) {
      return x;
    }
  });
  if (seg.length === 4 && seg[0] === 'clusters' && seg[2] === 'groups') {
    return { name: 'group', cluster: seg[1], group: seg[3], params };
  }
  if (seg.length === 3 && seg[0] === 'group') {
    return { name: 'group', cluster: seg[1], group: seg[2], params };
  }
  return { name: 'overview', params };
}

function route() {
  const r = parseHash();
  const key = r.name === 'group' ? JSON.stringify([r.cluster, r.group])
    : 'overview';
  if (view && key === viewKey) return;
  const from = viewKey;
  if (view) view.unmount();
  viewKey = key;
  if (r.name === 'group') {
    view = mountGroup(main, model, r.cluster, r.group, r.params);
    lastGroup = [r.cluster, r.group];
    view.focus();
    window.scrollTo(0, 0);
  } else {
    view = mountOverview(main, model, r.params);
    // Coming back from a group: focus its row, else the heading.
    if (!(from !== 'overview' && from && lastGroup &&
          view.focusRow(lastGroup[0], lastGroup[1]))) {
      if (from) view.focus();
    }
  }
}

// ---- theme ----
const themeBtn = document.getElementById('theme-toggle');
const media = window.matchMedia('(prefers-color-scheme: dark)');

function effectiveTheme() {
  return document.documentElement.dataset.theme ||
    (media.matches ? 'dark' : 'light');
}

function paintThemeButton() {
  const dark = effectiveTheme() === 'dark';
  themeBtn.setAttribute('aria-pressed', String(dark));
  replaceChildren(themeBtn, icon(dark ? 'moon' : 'sun'),
    h('span', null, 'Dark theme'));
  themeBtn.title = `Switch to the ${dark ? 'light' : 'dark'} theme`;
}

themeBtn.addEventListener('click', () => {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  document.documentElement.dataset.theme = next;
  try {
    localStorage.setItem('warren-theme', next);
  } catch (e) {
    // Storage may be disabled; the choice then lasts for this page only.
  }
  paintThemeButton();
  model.changed();
});
media.addEventListener('change', () => {
  paintThemeButton();
  model.changed();
});
paintThemeButton();

// ---- connection ----
const conn = document.getElementById('conn');
const connText = conn.querySelector('.conn-text');
const offline = document.getElementById('offline');
let lostAt = 0;

function paintConn() {
  const { state, info } = model.conn;
  conn.dataset.state = state;
  let text;
  const problems = model.clusterProblems()
    .filter((p) => p.kind === 'unavailable').length;
  if (state === 'live' && model.allClustersDown()) {
    // The API answers, but no cluster is seen: nothing here is live.
    conn.dataset.state = 'degraded';
    text = 'No cluster reachable';
  } else if (state === 'live') {
    text = model.lastTick
      ? `Live · updated ${fmtMs(Date.now() - model.lastTick)} ago`
      : 'Live';
    if (problems) {
      // the banners say which and why
      conn.dataset.state = 'partial';
      text = `Live · ${problems} of ${model.clusters.length} clusters down`;
    }
  } else if (state === 'reconnecting') {
    text = 'Disconnected · reconnecting…';
  } else if (state === 'disconnected') {
    const left = Math.max(0, (info.retryAt || 0) - Date.now());
    text = `Disconnected · retrying in ${Math.ceil(left / 1000)} s`;
  } else {
    text = 'Connecting…';
  }
  connText.textContent = text;
  // While disconnected, say how old the figures on the page are.
  const down = state === 'reconnecting' || state === 'disconnected';
  if (down && !lostAt) lostAt = Date.now();
  if (!down) lostAt = 0;
  offline.hidden = !down || !model.loaded;
  if (!offline.hidden) {
    offline.textContent = `Connection to Warren lost at ` +
      `${new Date(lostAt).toLocaleTimeString()}: the figures below are ` +
      'from then. The page reconnects by itself.';
  }
}

// ---- cluster banners ----
const banners = document.getElementById('cluster-banners');
let bannerSig = '';

function paintBanners() {
  const list = model.clusterProblems();
  const sig = JSON.stringify(list);
  if (sig === bannerSig) return;
  bannerSig = sig;
  replaceChildren(banners, list.map((p) => h('div', {
    class: `cluster-banner ${p.kind === 'unavailable' ? 'bad' : 'warn'}`,
    dataset: { cluster: p.cluster, kind: p.kind } },
  icon(p.kind === 'unavailable' ? 'err' : 'warn'),
  h('span', { class: 'cluster-banner-text' }, p.text))));
}
model.subscribe(() => {
  paintBanners();
  paintConn();
});
setInterval(() => model.loadClusterStatus(), 5000);

async function resync() {
  const ok = await model.load();
  if (!ok) return;
  model.relearn();
  model.loadNotifiers();
  model.loadSilences(true);
  if (view && view.reload) view.reload();
  model.changed();
}

const stream = new EventStream('/v3/events', (name, data) => {
  if (name === 'status') model.onStatus(data);
  else if (name === 'rebalance') model.onRebalance(data);
  else if (name === 'tick') {
    model.onTick(data);
    // Incident counts on the overview follow the evaluation passes.
    if (model.notifiers.state === 'present' &&
        Date.now() - model.notifiers.at > 9000) {
      model.loadNotifiers();
    }
    if (model.silences.state !== 'absent') model.loadSilences();
  }
  else if (name === 'dropped') resync();
  paintConn();
}, (state, info) => {
  model.conn = { state, info };
  if (state !== 'live' && state !== 'connecting') model.offline = true;
  paintConn();
  if (state === 'live' && (info.reopened || model.loadError)) resync();
});

setInterval(paintConn, 1000);
window.addEventListener('hashchange', route);

async function boot() {
  route();
  stream.start();
  await model.load();
  model.loadNotifiers();
  model.loadSilences(true);
  // Exposed for the end-to-end test and for poking around in devtools.
  window.warren = { model, stream, booted: Date.now() };
}

boot();
