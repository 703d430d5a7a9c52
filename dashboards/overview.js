// SPDX-License-Identifier: Apache-2.0
// The overview: every cluster and group, worst first, with counts per
// status (which double as status filters), a text filter, and pages of 50
// rows. Only the rows on the current page are in the DOM, and only they
// ask for details (/lag) and the last hour of history (the sparkline), so
// the page stays quick with thousands of groups. Rows are links: Tab and
// the arrow keys move between them, Enter opens the group.

import { h, badge, icon, replaceChildren } from './dom.js';
import { sparkline } from './charts.js';
import { ERR_KINDS, displayStatus, fmtDateTime, fmtInt, fmtMs, fmtSeconds,
  severity, silenceTarget, silenceText, statusMeta } from './format.js';

export const PAGE_SIZE = 50;
const HOUR = 3600 * 1000;

// Filter state survives leaving the page (and is mirrored in the URL).
const state = { q: '', status: 'all', cluster: 'all', page: 0 };

const FILTERS = [
  { id: 'all', word: 'All groups', icon: null },
  { id: 'ERR', word: 'Error', icon: 'err', cls: 'err' },
  { id: 'WARN', word: 'Falling behind', icon: 'warn', cls: 'warn' },
  { id: 'OK', word: 'OK', icon: 'ok', cls: 'ok' },
  { id: 'NOTFOUND', word: 'Not found', icon: 'gone', cls: 'gone' },
];

export function groupHref(cluster, group) {
  return `#/clusters/${encodeURIComponent(cluster)}/groups/` +
    `${encodeURIComponent(group)}`;
}

function matches(g, words, status, cluster) {
  if (cluster !== 'all' && g.cluster !== cluster) return false;
  if (status !== 'all') {
    if (ERR_KINDS.includes(status)) {
      if (g.status !== 'ERR' || g.kind !== status) return false;
    } else if (g.status !== status) {
      return false;
    }
  }
  for (const w of words) if (!g.search.includes(w)) return false;
  return true;
}

function compare(a, b) {
  return severity(b.status) - severity(a.status) ||
    (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0) ||
    (a.group < b.group ? -1 : a.group > b.group ? 1 : 0);
}

function stateHash() {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  if (state.status !== 'all') p.set('status', state.status);
  if (state.cluster !== 'all') p.set('cluster', state.cluster);
  if (state.page) p.set('page', String(state.page + 1));
  const qs = p.toString();
  return `#/${qs ? `?${qs}` : ''}`;
}

// Mounts the overview into main; params from the URL. Returns a function
// that unmounts it.
export function mountOverview(main, model, params) {
  if (params.has('q')) state.q = params.get('q');
  if (params.has('status')) state.status = params.get('status');
  if (params.has('cluster')) state.cluster = params.get('cluster');
  state.page = Math.max(0, (parseInt(params.get('page') || '1', 10) || 1) - 1);

  const rows = new Map();
  const phone = window.matchMedia('(max-width: 640px)');
  const title = h('h1', { tabindex: '-1' }, 'Consumer groups');
  const sub = h('p', { class: 'sub' });
  const tiles = h('div', { class: 'tiles', role: 'group',
    'aria-label': 'Counts per status; choose one to show only those groups' });
  const tileEls = new Map();
  for (const f of FILTERS) {
    const count = h('span', { class: 'tile-count' }, '0');
    const extra = h('span', { class: 'tile-extra' });
    const cls = f.cls ? `st-${f.cls}` : 'tile-all';
    const b = h('button', { type: 'button', class: `tile ${cls}`,
      'aria-pressed': 'false', dataset: { filter: f.id },
    onclick: () => setStatus(state.status === f.id ? 'all' : f.id) },
    f.icon ? icon(f.icon, 'icon tile-icon') : null,
    h('span', { class: 'tile-word' }, f.word), count, extra);
    tileEls.set(f.id, { b, count, extra });
    tiles.appendChild(b);
  }
  const input = h('input', { type: 'search', id: 'filter',
    placeholder: 'Group or cluster name', autocomplete: 'off',
    spellcheck: 'false', 'aria-describedby': 'shown' });
  input.value = state.q;
  const clusterSel = h('select', { id: 'cluster-filter',
    'aria-label': 'Cluster' });
  const clusterWrap = h('label', { class: 'cluster-pick', hidden: true },
    h('span', null, 'Cluster'), clusterSel);
  const kindSel = h('select', { id: 'status-filter', 'aria-label': 'Status' },
    h('option', { value: 'all' }, 'Any status'),
    h('option', { value: 'ERR' }, 'Error (any)'),
    h('option', { value: 'STALL' }, '  stalled'),
    h('option', { value: 'STOP' }, '  stopped'),
    h('option', { value: 'REWIND' }, '  rewound'),
    h('option', { value: 'LOST' }, '  data loss'),
    h('option', { value: 'WARN' }, 'Falling behind'),
    h('option', { value: 'OK' }, 'OK'),
    h('option', { value: 'NOTFOUND' }, 'Not found'));
  const shown = h('span', { id: 'shown', class: 'shown', 'aria-live':
    'polite' });
  const toolbar = h('div', { class: 'toolbar' },
    h('label', { class: 'filter', for: 'filter' },
      h('span', null, 'Filter'), input),
    h('label', { class: 'status-pick' }, h('span', null, 'Status'), kindSel),
    clusterWrap, shown);
  const head = h('div', { class: 'list-head', 'aria-hidden': 'true' },
    h('span', null, 'Status'), h('span', null, 'Group'),
    h('span', { class: 'num' }, 'Total lag'),
    h('span', { class: 'num' }, 'Max time lag'),
    h('span', null, 'Last hour'), h('span', null, 'In status for'));
  const list = h('ol', { class: 'group-list', id: 'group-list',
    'aria-label': 'Consumer groups, worst first' });
  const note = h('div', { class: 'list-note' });
  const prev = h('button', { type: 'button', class: 'btn',
    onclick: () => goPage(state.page - 1) }, '← Previous');
  const next = h('button', { type: 'button', class: 'btn',
    onclick: () => goPage(state.page + 1) }, 'Next →');
  const pageInfo = h('span', { class: 'page-info' });
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev,
    pageInfo, next);
  const recent = h('section', { class: 'recent card',
    'aria-labelledby': 'recent-h' });
  const alerts = h('section', { class: 'alerts card', hidden: true,
    'aria-labelledby': 'alerts-h' });
  const silences = h('section', { class: 'silences card', id: 'silences',
    hidden: true, 'aria-labelledby': 'silences-h' });

  const root = h('section', { class: 'overview' },
    h('div', { class: 'page-head' }, title, sub), tiles, toolbar,
    h('div', { class: 'list-wrap' }, head, list, note), pager,
    h('div', { class: 'lower' }, recent, alerts, silences));
  replaceChildren(main, root);

  function syncUrl() {
    const want = stateHash();
    if (location.hash !== want) history.replaceState(null, '', want);
  }
  function setStatus(st) {
    state.status = st;
    state.page = 0;
    syncUrl();
    render();
  }
  function goPage(p) {
    state.page = p;
    syncUrl();
    render();
    const first = list.querySelector('a.row');
    if (first) first.focus();
  }
  let typing = null;
  input.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      state.q = input.value;
      state.page = 0;
      syncUrl();
      render();
    }, 80);
  });
  input.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && input.value) {
      input.value = '';
      state.q = '';
      state.page = 0;
      syncUrl();
      render();
    } else if (ev.key === 'ArrowDown') {
      const first = list.querySelector('a.row');
      if (first) {
        ev.preventDefault();
        first.focus();
      }
    }
  });
  kindSel.addEventListener('change', () => setStatus(kindSel.value));
  clusterSel.addEventListener('change', () => {
    state.cluster = clusterSel.value;
    state.page = 0;
    syncUrl();
    render();
  });
  list.addEventListener('keydown', (ev) => {
    const a = ev.target.closest && ev.target.closest('a.row');
    if (!a) return;
    const all = [...list.querySelectorAll('a.row')];
    const i = all.indexOf(a);
    let to = null;
    if (ev.key === 'ArrowDown') to = all[i + 1];
    else if (ev.key === 'ArrowUp') to = i === 0 ? input : all[i - 1];
    else if (ev.key === 'Home') to = all[0];
    else if (ev.key === 'End') to = all[all.length - 1];
    else if (ev.key === ' ') {
      ev.preventDefault();
      a.click();
      return;
    }
    if (to) {
      ev.preventDefault();
      to.focus();
    }
  });
  const onKey = (ev) => {
    if (ev.key === '/' && document.activeElement !== input &&
        !(ev.target instanceof HTMLInputElement) &&
        !(ev.target instanceof HTMLSelectElement)) {
      ev.preventDefault();
      input.focus();
    }
  };
  document.addEventListener('keydown', onKey);

  function makeRow(g) {
    const cells = {
      status: h('span', { class: 'c-status' }),
      name: h('span', { class: 'c-name' }),
      lag: h('span', { class: 'c-lag num' }),
      tl: h('span', { class: 'c-tl num' }),
      spark: h('span', { class: 'c-spark' }),
      since: h('span', { class: 'c-since' }),
    };
    const a = h('a', { class: 'row', href: groupHref(g.cluster, g.group),
      dataset: { cluster: g.cluster, group: g.group } },
    cells.status, cells.name, cells.lag, cells.tl, cells.spark, cells.since);
    const li = h('li', null, a);
    return { li, a, cells, sig: {} };
  }

  function fillRow(r, g) {
    const disp = displayStatus(g.status, g.kind);
    const meta = statusMeta(disp);
    r.a.className = `row st-${meta.cls}`;
    r.a.dataset.status = g.status || 'loading';
    if (r.sig.disp !== disp) {
      replaceChildren(r.cells.status, badge(disp));
      r.sig.disp = disp;
    }
    const expl = g.explanation || '';
    const sil = model.silencesOf(g.cluster, g.group) || [];
    const silSig = sil.map((x) => x.id).join(',');
    if (r.sig.expl !== expl || r.sig.name !== g.key || r.sig.sil !== silSig) {
      replaceChildren(r.cells.name,
        h('span', { class: 'gname' }, g.group),
        h('span', { class: 'cname' }, g.cluster, sil.length
          ? h('span', { class: 'pill silenced', title: silenceText(sil[0]) },
            'silenced') : null),
        expl ? h('span', { class: 'why' }, expl) : null);
      r.a.title = expl ? `${g.group}: ${expl}` : g.group;
      r.a.classList.toggle('is-silenced', sil.length > 0);
      r.sig.expl = expl;
      r.sig.name = g.key;
      r.sig.sil = silSig;
    }
    r.cells.lag.textContent = fmtInt(g.totallag);
    r.cells.lag.dataset.label = 'Total lag';
    r.cells.tl.textContent = fmtSeconds(g.maxTimeLag);
    r.cells.tl.dataset.label = 'Max time lag';
    const now = model.clusterNow(g.cluster);
    const sp = g.spark ? `${g.spark.length}:${g.spark.length &&
      g.spark[g.spark.length - 1].t}:${Math.floor(now / 30000)}:${sparkW}`
      : 'none';
    if (r.sig.spark !== sp) {
      replaceChildren(r.cells.spark, g.spark
        ? sparkline(g.spark, { t1: now, span: HOUR, width: sparkW,
          height: 28, label: 'Total lag over the last hour' })
        : h('span', { class: 'spark-wait' }, '…'));
      r.sig.spark = sp;
    }
    let since = 'unknown';
    if (g.since !== null && g.since !== undefined && g.status) {
      since = fmtMs(Math.max(0, now - g.since));
      r.cells.since.textContent = since;
      r.cells.since.title = `since ${new Date(g.since).toLocaleString()}`;
    } else {
      r.cells.since.textContent = '—';
      r.cells.since.removeAttribute('title');
    }
    r.cells.since.dataset.label = 'In status for';
    // One sentence for screen readers instead of the cells read in turn.
    r.a.setAttribute('aria-label', `${g.group} in cluster ${g.cluster}: ` +
      `${meta.word}${expl ? ` (${expl})` : ''}` +
      `${sil.length ? '; notifications silenced' : ''}; total lag ` +
      `${fmtInt(g.totallag)}, max time lag ${fmtSeconds(g.maxTimeLag)}, ` +
      `in this status for ${since}`);
  }

  function render() {
    const started = performance.now();
    renderList();
    model.renderMs = performance.now() - started;
  }

  let sparkW = 120;
  function renderList() {
    // Sparklines fill the card width on phones (no stretching).
    sparkW = phone.matches ? Math.max(120, Math.min(600,
      list.clientWidth - 30)) : 120;
    const all = [...model.groups.values()];
    // Counts per status (over the cluster filter only).
    const counts = { all: 0, ERR: 0, WARN: 0, OK: 0, NOTFOUND: 0 };
    const kinds = { STALL: 0, STOP: 0, REWIND: 0, LOST: 0 };
    for (const g of all) {
      if (state.cluster !== 'all' && g.cluster !== state.cluster) continue;
      counts.all++;
      if (counts[g.status] !== undefined) counts[g.status]++;
      if (g.status === 'ERR' && kinds[g.kind] !== undefined) kinds[g.kind]++;
    }
    for (const [id, t] of tileEls) {
      t.count.textContent = fmtInt(counts[id]);
      t.b.setAttribute('aria-pressed', String(state.status === id ||
        (id === 'ERR' && ERR_KINDS.includes(state.status))));
      t.b.classList.toggle('zero', id !== 'all' && counts[id] === 0);
    }
    const bad = [counts.ERR ? `${counts.ERR} error${counts.ERR === 1 ? ''
      : 's'}` : '', counts.WARN ? `${counts.WARN} falling behind` : '']
      .filter(Boolean).join(', ');
    document.title = `${bad ? `(${bad}) ` : ''}Warren — consumer groups`;
    const k = ERR_KINDS.filter((x) => kinds[x]).map((x) =>
      `${kinds[x]} ${statusMeta(x).word}`);
    tileEls.get('ERR').extra.textContent = k.join(' · ');
    if (kindSel.value !== state.status) kindSel.value = state.status;

    // Cluster picker, only when there is more than one cluster.
    if (model.clusters.length > 1) {
      clusterWrap.hidden = false;
      const want = ['all', ...model.clusters].join('\n');
      if (clusterSel.dataset.opts !== want) {
        replaceChildren(clusterSel, h('option', { value: 'all' },
          'All clusters'), model.clusters.map((c) => h('option', { value: c },
          c)));
        clusterSel.dataset.opts = want;
      }
      clusterSel.value = state.cluster;
    } else {
      clusterWrap.hidden = true;
    }

    const words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    const items = all.filter((g) => matches(g, words, state.status,
      state.cluster));
    items.sort(compare);
    const pages = Math.max(1, Math.ceil(items.length / PAGE_SIZE));
    if (state.page >= pages) state.page = pages - 1;
    if (state.page < 0) state.page = 0;
    const from = state.page * PAGE_SIZE;
    const page = items.slice(from, from + PAGE_SIZE);

    const nClusters = model.clusters.length;
    sub.textContent = model.loaded
      ? `${fmtInt(model.groups.size)} group${model.groups.size === 1 ? ''
        : 's'} in ${nClusters} cluster${nClusters === 1 ? '' : 's'}, worst ` +
        'first. Choose a group to see why it has its status.'
      : 'Loading…';
    shown.textContent = items.length
      ? `Showing ${fmtInt(from + 1)}–${fmtInt(from + page.length)} of ` +
        `${fmtInt(items.length)}`
      : 'Showing 0 groups';

    // Keep focus on the same row across re-renders.
    const focusedKey = document.activeElement &&
      document.activeElement.closest && document.activeElement.closest('a.row')
      ? rowKeyOf(document.activeElement.closest('a.row')) : null;
    const keep = new Set();
    let prevEl = null;
    for (const g of page) {
      let r = rows.get(g.key);
      if (!r) {
        r = makeRow(g);
        rows.set(g.key, r);
      }
      keep.add(g.key);
      fillRow(r, g);
      const want = prevEl ? prevEl.nextSibling : list.firstChild;
      if (want !== r.li) list.insertBefore(r.li, want);
      prevEl = r.li;
      model.requestDetail(g, true);
      model.requestSpark(g);
      if (model.activeSilences().length) model.requestSilenced(g, true);
    }
    for (const [key, r] of rows) {
      if (!keep.has(key)) {
        r.li.remove();
        rows.delete(key);
      }
    }
    if (focusedKey && rows.has(focusedKey) &&
        document.activeElement !== rows.get(focusedKey).a) {
      rows.get(focusedKey).a.focus({ preventScroll: true });
    }

    if (!model.loaded && model.loadError) {
      replaceChildren(note, h('p', { class: 'error' }, model.loadError,
        ' Retrying when the connection comes back.'));
    } else if (!model.loaded) {
      replaceChildren(note, h('p', { class: 'muted' }, 'Loading groups…'));
    } else if (model.groups.size === 0 && model.clusterProblems().length) {
      // Empty because clusters cannot be read, not because nobody commits.
      replaceChildren(note, h('p', { class: 'empty-why' },
        'No consumer groups to show. ', ...model.clusterProblems().map((p) =>
          h('span', { class: 'empty-reason', dataset: { cluster: p.cluster,
            kind: p.kind } }, `${p.text} `))));
    } else if (model.groups.size === 0) {
      replaceChildren(note, h('p', { class: 'muted' },
        'No consumer groups yet. Groups appear here as soon as they ' +
        'commit offsets.'));
    } else if (items.length === 0) {
      replaceChildren(note, h('p', { class: 'muted' },
        'No group matches this filter. ',
        h('button', { type: 'button', class: 'link', onclick: () => {
          input.value = '';
          state.q = '';
          state.status = 'all';
          state.cluster = 'all';
          state.page = 0;
          syncUrl();
          render();
        } }, 'Show all groups')));
    } else {
      note.textContent = '';
    }
    pager.hidden = pages <= 1;
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pages - 1;
    pageInfo.textContent = `Page ${state.page + 1} of ${pages}`;

    model.fillStatuses();
    renderRecent();
    renderAlerts();
    renderSilences();
  }

  // The active silences, and how many ended in the last day.
  let silSig = '';
  function renderSilences() {
    const sv = model.silences;
    const active = model.activeSilences();
    const ended = sv.list.length - active.length;
    const sig = `${sv.state}:${sv.sig}`;
    if (sig === silSig) return;
    silSig = sig;
    silences.hidden = sv.state !== 'present' || !sv.list.length;
    if (silences.hidden) return;
    replaceChildren(silences, h('h2', { id: 'silences-h' }, 'Silences'),
      active.length ? h('ul', { class: 'silence-list' }, active.map((x) =>
        h('li', { dataset: { id: x.id } },
          h('span', { class: 'pill silenced' }, 'silenced'), ' ',
          h('strong', null, silenceTarget(x)),
          h('span', { class: 'muted' }, ` until ${fmtDateTime(
            Date.parse(x.until))}, by ${x.created_by}: `),
          h('span', { class: 'comment' }, x.comment))))
        : h('p', { class: 'muted' }, 'No silence is in effect.'),
      ended ? h('p', { class: 'muted' }, `${ended} ended in the last day.`)
        : null,
      h('p', { class: 'muted small' }, 'While a silence holds, no webhook ' +
        'is sent for the groups it matches; POST /v3/silences makes one.'));
  }

  function rowKeyOf(a) {
    return JSON.stringify([a.dataset.cluster, a.dataset.group]);
  }

  let recentSig = '';
  function renderRecent() {
    const ch = model.changes.slice(0, 8);
    const sig = `${ch.length}:${ch.length && ch[0].at}`;
    if (sig === recentSig) return;
    recentSig = sig;
    replaceChildren(recent, h('h2', { id: 'recent-h' },
      'Status changes while this page is open'),
    ch.length ? h('ol', { class: 'changes' }, ch.map((c) => h('li', null,
      h('time', { datetime: new Date(c.at).toISOString() },
        new Date(c.at).toLocaleTimeString()),
      h('a', { href: groupHref(c.cluster, c.group) }, c.group),
      h('span', { class: 'muted' }, c.cluster),
      badge(displayStatus(c.previous, '')), h('span', { 'aria-hidden': 'true',
        class: 'arrow' }, '→'), h('span', { class: 'sr-only' }, 'to'),
      badge(displayStatus(c.status, c.kind)))))
      : h('p', { class: 'muted' }, 'None yet. Changes arrive live.'));
  }

  let alertSig = '';
  function renderAlerts() {
    const n = model.notifiers;
    if (n.state !== 'present') {
      alerts.hidden = true;
      return;
    }
    const sig = String(n.at);
    if (sig === alertSig) return;
    alertSig = sig;
    alerts.hidden = false;
    const nfs = (n.body && n.body.notifiers) || [];
    const dels = (n.body && n.body.deliveries) || [];
    if (!nfs.length) {
      alerts.hidden = true;
      return;
    }
    const failed = dels.filter((d) => d.state === 'failed').length;
    replaceChildren(alerts, h('h2', { id: 'alerts-h' }, 'Webhook notifiers'),
      h('ul', { class: 'notifiers' }, nfs.map((x) => h('li', null,
        h('strong', null, x.name), ` — ${fmtInt(x.open_incidents)} open ` +
        `incident${x.open_incidents === 1 ? '' : 's'}, ` +
        `${fmtInt(x.delivered)} delivered, ${fmtInt(x.failed)} failed, ` +
        `${fmtInt(x.pending)} pending`))),
      dels.length ? h('p', { class: 'muted' }, `${dels.length} recent ` +
        `deliveries, ${failed} failed. Each group's page shows its own.`)
        : null);
  }

  render();
  syncUrl();
  const unsub = model.subscribe(render);
  phone.addEventListener('change', render);
  const clock = setInterval(render, 5000);
  return {
    focus() {
      title.focus({ preventScroll: true });
    },
    focusRow(cluster, group) {
      const r = rows.get(JSON.stringify([cluster, group]));
      if (r) {
        r.a.focus();
        return true;
      }
      return false;
    },
    unmount() {
      unsub();
      clearInterval(clock);
      phone.removeEventListener('change', render);
      document.removeEventListener('keydown', onKey);
    },
  };
}
