// SPDX-License-Identifier: Apache-2.0
// The group page: the status with its explanation and since when, lag
// over time (offset lag and time lag, status changes marked), every
// partition with its rule and figures, the window of a chosen partition
// drawn as committed offsets against head offsets (the evidence the rule
// looked at), the group's rebalances (markers on the lag chart and a list,
// each with its deployment kind and sentence; new ones from the stream's
// "rebalance" event), and the group's webhook incidents when the server
// has notifiers. It refreshes after every evaluation pass (the "tick" event);
// the status shown comes from the live event stream.

import { getJSON, groupPath } from './api.js';
import { h, badge, replaceChildren } from './dom.js';
import { historyPoints, lagChart, windowChart } from './charts.js';
import { mergeRebalances, rebalanceList } from './rebalances.js';
import { displayStatus, errKind, fmtDateTime, fmtInt, fmtMs, fmtRetention,
  fmtRule, fmtSeconds, partStatus, severity, silenceText,
  statusMeta } from './format.js';

// What a partition's time lag is from (its time_lag_source), as its
// cell's tooltip says it; interpolated ones are drawn with a leading ≈.
const TIME_LAG_SOURCE = {
  record: 'from the timestamp of the record at the committed offset',
  heads: 'estimated from the head offsets sampled over time (the record ' +
    'at the committed offset was not read yet)',
  'caught-up': 'caught up: nothing waits',
};

const RANGES = [
  { id: '15m', word: '15 min', ms: 15 * 60000 },
  { id: '1h', word: '1 hour', ms: 3600000 },
  { id: '6h', word: '6 hours', ms: 6 * 3600000 },
  { id: '24h', word: '24 hours', ms: 24 * 3600000 },
];

function sentence(text) {
  if (!text) return '';
  const t = text.trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}

function partKey(p) {
  return `${p.topic}\u0000${p.partition}`;
}

// Mounts the page for cluster/group into main. Returns {unmount, focus}.
export function mountGroup(main, model, cluster, group, params) {
  const st = {
    range: RANGES.find((r) => r.id === params.get('range')) || RANGES[1],
    sel: params.get('p') || '',
    lag: null,
    lagCode: 0,
    window: null,
    samples: [],
    rebalances: [], // oldest first: the history's, then the stream's
    error: '',
    busy: false,
    inc: null,
    noIncRoute: false,
    sil: null, // silences muting the group; null: unknown or none kept
  };
  // Until the model knows the group (it may not exist at all: no phantom
  // row is added to the overview for it).
  const g0 = { status: '', kind: '', since: null, explanation: '',
    totallag: null, maxTimeLag: null, live: false };

  const title = h('h1', { tabindex: '-1', class: 'gtitle' }, group);
  const statusBox = h('div', { class: 'gstatus' });
  const expl = h('p', { class: 'explanation', id: 'explanation' });
  const silNote = h('p', { class: 'silence-note', id: 'silence-note',
    hidden: true, role: 'status' });
  const facts = h('dl', { class: 'facts' });
  const rangeBtns = h('div', { class: 'seg-buttons', role: 'group',
    'aria-label': 'Time range' });
  const chartBox = h('div', { class: 'chart-box', id: 'lag-chart' });
  const rbBox = h('div', { class: 'rb-list', id: 'rebalances' });
  const partBody = h('tbody');
  const partTable = h('table', { class: 'parts', id: 'partitions' },
    h('caption', { class: 'sr-only' }, 'Partitions of the group; choose a ' +
      'row to draw its window below'),
    h('thead', null, h('tr', null, ['Topic', 'Partition', 'Owner / client',
      'Status', 'Rule', 'Current lag', 'Time lag', 'Committed', 'Head',
      'ETA', 'Retention'].map((c, i) => h('th', { scope: 'col',
      class: i >= 5 && i < 9 ? 'num' : null }, c)))), partBody);
  const partNote = h('p', { class: 'muted small' });
  const winTitle = h('h2', { id: 'window-h' }, 'Evidence');
  const winExpl = h('p', { class: 'win-expl' });
  const winBox = h('div', { class: 'chart-box', id: 'window-chart' });
  const winTable = h('div', { class: 'win-table' });
  const incidents = h('div', { class: 'incidents', id: 'incidents' });
  const banner = h('div', { class: 'banner', hidden: true, role: 'status' });

  for (const r of RANGES) {
    rangeBtns.appendChild(h('button', { type: 'button', class: 'seg',
      'aria-pressed': String(r === st.range), dataset: { range: r.id },
      onclick: () => {
        st.range = r;
        for (const b of rangeBtns.children) {
          b.setAttribute('aria-pressed', String(b.dataset.range === r.id));
        }
        syncUrl();
        loadHistory();
      } }, r.word));
  }

  const root = h('article', { class: 'group-page' },
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' },
      h('a', { href: '#/', class: 'back' }, '← All groups'),
      h('span', { class: 'muted' }, ` / cluster ${cluster}`)),
    banner,
    h('header', { class: 'group-head' },
      h('div', { class: 'gname-wrap' }, title,
        h('span', { class: 'muted' }, `consumer group in cluster ${cluster}`)),
      statusBox),
    expl, silNote, facts,
    h('section', { class: 'card', 'aria-labelledby': 'lag-h' },
      h('div', { class: 'card-head' }, h('h2', { id: 'lag-h' },
        'Lag over time'), rangeBtns),
      h('div', { class: 'legend', 'aria-hidden': 'true' },
        h('span', { class: 'key key-lag' }, 'offset lag (messages, left)'),
        h('span', { class: 'key key-tl' }, 'time lag (right)'),
        h('span', { class: 'key key-band' }, 'status band; lines mark ' +
          'status changes'),
        h('span', { class: 'key key-rb' }, 'rebalance')),
      chartBox),
    h('section', { class: 'card', 'aria-labelledby': 'rb-h' },
      h('h2', { id: 'rb-h' }, 'Rebalances and deployments'), rbBox),
    h('section', { class: 'card', 'aria-labelledby': 'parts-h' },
      h('h2', { id: 'parts-h' }, 'Partitions'),
      h('div', { class: 'table-wrap' }, partTable), partNote),
    h('section', { class: 'card', 'aria-labelledby': 'window-h' },
      winTitle, winExpl,
      h('div', { class: 'legend', 'aria-hidden': 'true' },
        h('span', { class: 'key key-commit' }, 'committed offset'),
        h('span', { class: 'key key-head' }, 'head offset at each commit'),
        h('span', { class: 'key key-heads' }, 'latest head samples'),
        h('span', { class: 'key key-gap' }, 'lag')),
      winBox, winTable),
    h('section', { class: 'card', 'aria-labelledby': 'inc-h' },
      h('h2', { id: 'inc-h' }, 'Incidents and webhook deliveries'),
      incidents));
  replaceChildren(main, root);
  document.title = `${group} — Warren`;

  function syncUrl() {
    const p = new URLSearchParams();
    if (st.range.id !== '1h') p.set('range', st.range.id);
    if (st.sel) p.set('p', st.sel.replace('\u0000', ':'));
    const qs = p.toString();
    const want = `#/clusters/${encodeURIComponent(cluster)}/groups/` +
      `${encodeURIComponent(group)}${qs ? `?${qs}` : ''}`;
    if (location.hash !== want) history.replaceState(null, '', want);
  }
  if (st.sel) {
    const i = st.sel.lastIndexOf(':');
    st.sel = i > 0 ? `${st.sel.slice(0, i)}\u0000${st.sel.slice(i + 1)}` : '';
  }

  // ---- data ----
  async function loadLag() {
    const lag = await getJSON(groupPath(cluster, group, '/lag'));
    st.lagCode = lag.status;
    if (lag.body && lag.body.status) {
      st.lag = lag.body.status;
      // Also once the ticks made the group live: a tick carries no
      // explanation, since or partition status, and the model keeps
      // them only from a body that agrees with the live status.
      const mg = model.get(cluster, group);
      if (mg) model.applyStatusObject(mg, st.lag);
    }
    if (lag.status === 404) {
      st.window = null;
      return;
    }
    const win = await getJSON(groupPath(cluster, group, '/window'))
      .catch(() => null);
    if (win && win.ok && win.body && win.body.window) {
      st.window = win.body.window;
    } else if (win && win.status === 404) {
      st.window = null;
    }
  }

  async function loadIncidents() {
    const nb = model.notifiers.body;
    if (model.notifiers.state !== 'present' || !nb ||
        !(nb.notifiers || []).length || st.noIncRoute) {
      return;
    }
    const r = await getJSON(groupPath(cluster, group, '/incidents'));
    if (r.ok && r.body) st.inc = r.body;
    else if (r.status === 404 || r.status === 405) st.noIncRoute = true;
  }

  async function loadSilences() {
    const q = `?cluster=${encodeURIComponent(cluster)}&group=` +
      `${encodeURIComponent(group)}`;
    const r = await getJSON(`/v3/silences${q}`);
    if (r.ok && r.body && Array.isArray(r.body.silences)) {
      st.sil = r.body.silences;
    } else if (r.status === 404 || r.status === 405) {
      st.sil = null;
    }
  }

  async function loadHistory() {
    await model.whenLoaded();
    // A replay cluster's clock is the trace's: ask for everything once to
    // learn it (the chart then shows the range before its newest sample).
    const known = model.clockKnown(cluster);
    const from = known ? Math.max(0, Math.floor(model.clusterNow(cluster) -
      st.range.ms)) : 0;
    try {
      const r = await getJSON(groupPath(cluster, group,
        `/history?since=${from}`));
      const hist = (r.body && r.body.history) || {};
      const sm = hist.samples || [];
      if (sm.length) model.observeClock(cluster, sm[sm.length - 1].t_last,
        false);
      st.samples = sm;
      st.rebalances = mergeRebalances(st.rebalances, hist.rebalances);
    } catch (e) {
      return;
    }
    renderChart();
    renderRebalances();
  }

  async function refresh(first) {
    if (st.busy) return;
    st.busy = true;
    try {
      await loadLag();
      const jobs = [];
      // The history waits for the cluster list (clock); not for it here.
      if (first && st.lagCode !== 404) loadHistory();
      if (model.notifiers.state !== 'absent') {
        jobs.push(model.loadNotifiers().then(loadIncidents));
      }
      if (model.silences.state !== 'absent') jobs.push(loadSilences());
      await Promise.all(jobs);
      st.error = '';
    } catch (e) {
      st.error = 'Cannot reach the Warren API; showing the last data ' +
        'received.';
    } finally {
      st.busy = false;
    }
    render();
  }

  // ---- rendering ----
  // The live status (ticks and status events) when there is one, with
  // what only the page's own /lag body has (explanation, since, the
  // partition status behind an ERR) while that body agrees with it.
  function liveStatus() {
    const g = model.get(cluster, group) || g0;
    if (g.live || !st.lag) {
      const own = st.lag && st.lag.status === g.status ? st.lag : null;
      return { status: g.status,
        kind: g.kind || (own ? errKind(own.partitions) : ''),
        since: g.since ?? (own ? own.since : null),
        explanation: g.explanation || (own ? own.explanation || '' : ''),
        totallag: g.totallag, maxTimeLag: g.maxTimeLag };
    }
    return { status: st.lag.status, kind: errKind(st.lag.partitions),
      since: st.lag.since, explanation: st.lag.explanation,
      totallag: st.lag.totallag, maxTimeLag: st.lag.max_time_lag_s };
  }

  function renderHead() {
    const ls = liveStatus();
    const disp = displayStatus(ls.status, ls.kind);
    replaceChildren(statusBox, badge(disp));
    statusBox.className = `gstatus big st-${statusMeta(disp).cls}`;
    statusBox.dataset.status = ls.status || 'loading';
    expl.className = `explanation st-${statusMeta(disp).cls}`;
    let text = ls.explanation;
    if (!text && ls.status === 'OK') {
      text = 'every partition is keeping up: lag is not growing across the ' +
        'window';
    }
    if (!text && ls.status === 'NOTFOUND') {
      text = 'Warren does not know this group (any more): it was deleted, ' +
        'it expired, or it never committed offsets';
    }
    expl.textContent = sentence(text) || ' ';
    const sil = st.sil || [];
    silNote.hidden = !sil.length;
    if (sil.length) {
      replaceChildren(silNote, h('span', { class: 'pill silenced' },
        'silenced'), ' ', silenceText(sil[0]),
      sil.length > 1 ? ` (and ${sil.length - 1} more)` : '',
      '. No webhook is sent for this group until then; an incident that ' +
        'is open when the silence ends is sent then.');
    }
    const now = model.clusterNow(cluster);
    const parts = (st.lag && st.lag.partitions) || [];
    const byStatus = {};
    for (const p of parts) {
      byStatus[partStatus(p)] = (byStatus[partStatus(p)] || 0) + 1;
    }
    const mix = Object.entries(byStatus).sort((a, b) => severity(b[0]) -
      severity(a[0])).map(([k, n]) => `${n} ${statusMeta(k).word}`).join(', ');
    const items = [
      ['In this status for', ls.since !== null && ls.since !== undefined &&
        ls.status ? `${fmtMs(Math.max(0, now - ls.since))} (since ` +
        `${fmtDateTime(ls.since)})` : '—'],
      ['Total lag', `${fmtInt(ls.totallag)} messages`],
      ['Max time lag', fmtSeconds(ls.maxTimeLag)],
      ['Partitions', parts.length ? `${parts.length} (${mix})` : '—'],
      ['Window complete', st.lag && Number.isFinite(st.lag.complete)
        ? `${Math.round(st.lag.complete * 100)} %` : '—'],
      ['Retention', retentionFact(parts)],
    ];
    replaceChildren(facts, items.map(([k, v]) => h('div', null,
      h('dt', null, k), h('dd', null, v))));
    if (st.error) {
      banner.hidden = false;
      banner.textContent = st.error;
    } else if (st.lagCode === 404) {
      banner.hidden = false;
      banner.textContent = 'This group is not found: it was deleted or it ' +
        'expired. The page updates if it comes back.';
    } else {
      banner.hidden = true;
    }
  }

  // Data loss first (how many partitions, how many records), else the
  // soonest retention may reach unread records.
  function retentionFact(parts) {
    const lost = parts.filter((p) => p.data_loss);
    if (lost.length) {
      const n = lost.reduce((a, p) => a - p.retention_margin, 0);
      return `data loss on ${lost.length} partition` +
        `${lost.length === 1 ? '' : 's'}: retention deleted ${fmtInt(n)} ` +
        'records the group had not read';
    }
    const eta = st.lag ? st.lag.min_retention_eta_s : null;
    if (eta !== null && eta !== undefined) {
      return `${fmtSeconds(eta)} until retention may reach unread records`;
    }
    return parts.some((p) => p.retention_margin !== null &&
      p.retention_margin !== undefined) ? 'no unread record at risk' : '—';
  }

  function headOf(p) {
    const w = st.window && st.window.partitions &&
      st.window.partitions.find((x) => x.topic === p.topic &&
        x.partition === p.partition);
    if (w && w.heads && w.heads.length) {
      return Math.max(...w.heads.filter(Boolean).map((x) => x.offset));
    }
    if (p.end) return p.end.offset + p.current_lag;
    return null;
  }

  function sortedParts() {
    const parts = ((st.lag && st.lag.partitions) || []).slice();
    parts.sort((a, b) => severity(b.status) - severity(a.status) ||
      (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0) ||
      a.partition - b.partition);
    return parts;
  }

  function choose(key, focusRow) {
    st.sel = key;
    syncUrl();
    renderParts();
    renderWindow();
    if (focusRow) {
      const tr = partBody.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
      if (tr) tr.focus();
    }
  }

  function renderParts() {
    const parts = sortedParts();
    if (!parts.length) {
      replaceChildren(partBody, h('tr', null, h('td', { colspan: 11,
        class: 'muted' }, st.lag ? 'No partitions.' : 'Loading…')));
      partNote.textContent = '';
      return;
    }
    if (!st.sel || !parts.some((p) => partKey(p) === st.sel)) {
      const worst = parts.slice().sort((a, b) => severity(b.status) -
        severity(a.status) || b.current_lag - a.current_lag)[0];
      st.sel = partKey(worst);
    }
    const focused = document.activeElement &&
      document.activeElement.closest &&
      document.activeElement.closest('tr[data-key]');
    const fkey = focused ? focused.dataset.key : null;
    replaceChildren(partBody, parts.map((p) => {
      const key = partKey(p);
      const sel = key === st.sel;
      const eta = p.eta_s === null || p.eta_s === undefined
        ? (p.current_lag === 0 ? 'caught up' : '—') : fmtSeconds(p.eta_s);
      const ret = fmtRetention(p);
      const tr = h('tr', { tabindex: '0', dataset: { key },
        class: `st-row st-${statusMeta(p.status).cls}${sel ? ' selected' : ''}`,
        'aria-selected': String(sel), title: p.explanation || '',
        onclick: () => choose(key, false),
        onkeydown: (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            choose(key, true);
          } else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
            ev.preventDefault();
            const sib = ev.key === 'ArrowDown' ? tr.nextElementSibling
              : tr.previousElementSibling;
            if (sib) sib.focus();
          }
        } },
      h('td', { 'data-label': 'Topic', class: 'topic' }, p.topic),
      h('td', { 'data-label': 'Partition', class: 'num' }, String(p.partition)),
      h('td', { 'data-label': 'Owner / client', class: 'owner' },
        h('span', null, p.client_id || '—'),
        p.owner ? h('span', { class: 'muted small' }, p.owner) : null),
      h('td', { 'data-label': 'Status', class: 'pstatus' },
        badge(partStatus(p))),
      h('td', { 'data-label': 'Rule' }, fmtRule(p.rule)),
      h('td', { 'data-label': 'Current lag', class: 'num' },
        fmtInt(p.current_lag)),
      h('td', { 'data-label': 'Time lag', class: 'num',
        'data-source': p.time_lag_source || '',
        title: TIME_LAG_SOURCE[p.time_lag_source] || 'unknown' },
        p.time_lag_source === 'heads' ? `≈${fmtSeconds(p.time_lag_s)}`
          : fmtSeconds(p.time_lag_s)),
      h('td', { 'data-label': 'Committed', class: 'num' },
        p.end ? fmtInt(p.end.offset) : '—'),
      h('td', { 'data-label': 'Head', class: 'num' }, fmtInt(headOf(p))),
      h('td', { 'data-label': 'ETA' }, eta),
      h('td', { 'data-label': 'Retention', class: `retention ${ret.cls}`,
        title: ret.title }, ret.text));
      return tr;
    }));
    if (fkey) {
      const tr = partBody.querySelector(`tr[data-key="${CSS.escape(fkey)}"]`);
      if (tr) tr.focus({ preventScroll: true });
    }
    partNote.textContent = 'Choose a partition (click, or Enter on a ' +
      'focused row) to draw its window below. ETA: time to catch up at ' +
      'the current consumption rate. Retention: records between the log ' +
      'start and the committed offset, and how soon retention may delete ' +
      'records the group has not read if it reads no further.';
  }

  function renderWindow() {
    const parts = sortedParts();
    const p = parts.find((x) => partKey(x) === st.sel);
    if (!p) {
      winTitle.textContent = 'Evidence';
      winExpl.textContent = '';
      winBox.textContent = '';
      winTable.textContent = '';
      return;
    }
    winTitle.textContent = `Evidence: window of ${p.topic} / partition ` +
      `${p.partition}`;
    replaceChildren(winExpl, badge(partStatus(p)), ' ',
      h('span', null, sentence(p.explanation || '')),
      h('span', { class: 'muted' }, ` Rule: ${fmtRule(p.rule)}.`));
    const w = st.window && st.window.partitions &&
      st.window.partitions.find((x) => x.topic === p.topic &&
        x.partition === p.partition);
    if (!w) {
      replaceChildren(winBox, h('p', { class: 'chart-empty' },
        'Loading the window…'));
      winTable.textContent = '';
      return;
    }
    const summary = windowChart(winBox, w, { status: p.status,
      height: winBox.clientWidth < 480 ? 200 : 240 });
    const rows = (w.offsets || []).filter(Boolean);
    replaceChildren(winTable, h('details', null,
      h('summary', null, `The ${rows.length} commits as a table`),
      h('p', { class: 'muted small' }, summary),
      h('table', { class: 'mini' },
        h('thead', null, h('tr', null, h('th', null, 'Time'),
          h('th', { class: 'num' }, 'Committed offset'),
          h('th', { class: 'num' }, 'Lag at commit'))),
        h('tbody', null, rows.map((e) => h('tr', null,
          h('td', null, fmtDateTime(e.timestamp)),
          h('td', { class: 'num' }, fmtInt(e.offset)),
          h('td', { class: 'num' }, fmtInt(e.lag))))))));
  }

  function chartPoints() {
    const pts = historyPoints(st.samples);
    // Evaluations after the history was fetched, from the live ticks.
    for (const x of tickPts) if (!pts.length || x.t > pts[pts.length - 1].t) {
      pts.push(x);
    }
    return pts;
  }

  const tickPts = [];
  function renderChart() {
    const t1 = model.clusterNow(cluster);
    lagChart(chartBox, chartPoints(), { t0: t1 - st.range.ms, t1,
      height: chartBox.clientWidth < 480 ? 200 : 260,
      rebalances: st.rebalances });
  }

  function renderRebalances() {
    rebalanceList(rbBox, st.rebalances);
  }

  function deliveryText(d) {
    if (!d) return 'delivery no longer tracked';
    return `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` +
      `${d.http_status ? `, HTTP ${d.http_status}` : ''}` +
      `${d.error && !String(d.error).includes(String(d.http_status))
        ? `, ${d.error}` : ''}`;
  }

  // From GET .../consumer/{group}/incidents: incidents per notifier and
  // a timeline of opened / repeated / closed events with their delivery.
  function incidentsFromRoute(inc) {
    const list = (inc.incidents || []).filter((x) => x.open || x.id);
    const tl = (inc.timeline || []).slice().reverse().slice(0, 30);
    return [
      list.length ? h('ul', { class: 'inc-list' }, list.map((x) => h('li', {
        class: 'incident' },
      h('div', { class: 'inc-head' }, h('strong', null, x.notifier),
        h('span', { class: `pill ${x.open ? 'open' : 'closed'}` },
          x.open ? 'open' : 'closed'), badge(x.status)),
      h('div', { class: 'muted small' }, [
        x.start ? `since ${fmtDateTime(Date.parse(x.start))}` : null,
        x.notifications !== undefined ? `${x.notifications} ` +
          `notification${x.notifications === 1 ? '' : 's'}` : null,
        x.last_sent ? `last sent ${fmtDateTime(Date.parse(x.last_sent))}`
          : null,
        x.id ? `incident ${String(x.id).slice(0, 8)}` : null,
      ].filter(Boolean).join(' · ')))))
        : h('p', { class: 'muted' }, 'No incident is open for this group.'),
      tl.length ? h('h3', { class: 'tl-title' }, 'Timeline, newest first')
        : null,
      tl.length ? h('ol', { class: 'timeline' }, tl.map((e) => h('li', {
        class: 'del' },
      h('time', null, fmtDateTime(Date.parse(e.time))),
      h('strong', null, e.notifier),
      h('span', { class: 'kind' }, e.event), badge(e.status),
      e.delivery ? h('span', { class: `pill ${e.delivery.state}` },
        e.delivery.state) : null,
      h('span', { class: 'muted small' }, deliveryText(e.delivery)))))
        : null,
    ];
  }

  // Older servers without the /incidents route: this group's entries of
  // the recent deliveries, grouped by incident id.
  function incidentsFromDeliveries(all) {
    const dels = all.filter((d) => d.cluster === cluster && d.group === group);
    dels.sort((a, b) => String(a.created).localeCompare(String(b.created)));
    if (!dels.length) {
      return [h('p', { class: 'muted' }, 'No webhook has been sent for this ' +
        'group recently.')];
    }
    const byId = new Map();
    for (const d of dels) {
      if (!byId.has(d.id)) byId.set(d.id, []);
      byId.get(d.id).push(d);
    }
    return [h('ol', { class: 'timeline' }, [...byId.entries()].map(([id, ds]) =>
      h('li', { class: 'incident' },
        h('div', { class: 'inc-head' },
          h('strong', null, `Incident ${String(id).slice(0, 8)}`),
          h('span', { class: `pill ${ds.some((d) => d.kind === 'close')
            ? 'closed' : 'open'}` }, ds.some((d) => d.kind === 'close')
            ? 'closed' : 'open')),
        h('ol', { class: 'deliveries' }, ds.map((d) => h('li', {
          class: 'del' },
        h('time', null, fmtDateTime(Date.parse(d.created))),
        h('strong', null, d.notifier),
        h('span', { class: 'kind' }, d.kind),
        h('span', { class: `pill ${d.state}` }, d.state),
        h('span', { class: 'muted small' }, deliveryText(d))))))))];
  }

  function renderIncidents() {
    const n = model.notifiers;
    if (n.state === 'unknown') {
      replaceChildren(incidents, h('p', { class: 'muted' }, 'Loading…'));
      return;
    }
    if (n.state === 'absent') {
      replaceChildren(incidents, h('p', { class: 'muted' },
        'This server has no webhook notifier (GET /v3/notifiers is not ' +
        'available), so there are no incidents to show.'));
      return;
    }
    const nfs = (n.body && n.body.notifiers) || [];
    if (!nfs.length) {
      replaceChildren(incidents, h('p', { class: 'muted' },
        'No notifier is configured on this server.'));
      return;
    }
    replaceChildren(incidents,
      h('p', { class: 'muted small' }, 'Notifiers: ', nfs.map((x, i) => [
        i ? ', ' : '', h('strong', null, x.name),
        ` (opens at ${statusMeta(x.threshold).word})`]), '.'),
      st.inc ? incidentsFromRoute(st.inc)
        : incidentsFromDeliveries((n.body && n.body.deliveries) || []));
  }

  function renderParts2() {
    renderParts();
    renderWindow();
  }

  function render() {
    renderHead();
    renderParts2();
    renderIncidents();
  }

  // ---- live updates ----
  let lastTicks = model.ticks;
  let lastStatus = liveStatus().status;
  let lastRb = -1;
  const onModel = () => {
    renderHead();
    const g = model.get(cluster, group);
    const rbSeen = model.rebalancesSeen(cluster, group);
    if (rbSeen.count !== lastRb) {
      lastRb = rbSeen.count;
      st.rebalances = mergeRebalances(st.rebalances, rbSeen.list);
      renderChart();
      renderRebalances();
    }
    if (model.ticks !== lastTicks) {
      lastTicks = model.ticks;
      if (g && g.live && g.status !== 'NOTFOUND') {
        tickPts.push({ t: model.clusterNow(cluster), lag: g.totallag,
          tl: g.maxTimeLag, status: g.status });
        if (tickPts.length > 10000) tickPts.splice(0, 5000);
        renderChart();
      }
      refresh(false);
    } else if (g && g.status !== lastStatus) {
      refresh(false);
    }
    lastStatus = g ? g.status : lastStatus;
  };
  const unsub = model.subscribe(onModel);
  const clock = setInterval(renderHead, 5000);
  let resizeTimer = null;
  const ro = new ResizeObserver(() => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      renderChart();
      renderWindow();
    }, 100);
  });
  ro.observe(chartBox);

  render();
  refresh(true);

  return {
    focus() {
      title.focus({ preventScroll: true });
    },
    unmount() {
      unsub();
      clearInterval(clock);
      ro.disconnect();
    },
    reload() {
      refresh(true);
    },
  };
}
