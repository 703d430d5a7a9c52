// SPDX-License-Identifier: Apache-2.0
// The dashboard's live picture of every cluster and group.
//
// Built from three sources: the group lists (GET /v3/kafka, .../consumer),
// per-group details fetched only when needed (/lag for label, explanation
// and since; /history for the sparkline), and the /v3/events stream, whose
// "tick" after every evaluation pass carries the status and lags of every
// group and whose "status" events carry transitions. So 1000 groups cost
// one tick per pass, plus details for the rows on screen.
//
// Clocks: a replay cluster is evaluated on the trace's virtual clock, so
// its history and "since" times are not wall times. Each cluster keeps an
// offset (virtual - wall) learnt from status events and history samples;
// clusterNow() is what "in this status for" and "the last hour" use.

import { getJSON, groupPath, Queue } from './api.js';
import { errKind, fmtMs } from './format.js';

const HOUR = 3600 * 1000;

export function groupKey(cluster, group) {
  return JSON.stringify([cluster, group]);
}

export class Model {
  constructor() {
    this.groups = new Map();
    this.clusters = [];
    this.clusterClass = new Map();
    // Per cluster: its source's state from GET /v3/kafka/C (module.status:
    // state, stale, last_error, last_refresh, cannot_list_groups, offline
    // partitions), refreshed every few seconds by loadClusterStatus().
    this.clusterStatus = new Map();
    this.clusterStatusAt = 0;
    this.clocks = new Map();
    this.listeners = new Set();
    this.conn = { state: 'connecting', info: {} };
    this.lastTick = 0;
    this.ticks = 0;
    this.loaded = false;
    this.loadError = '';
    this.notifiers = { state: 'unknown', body: null, at: 0 };
    // GET /v3/silences: state 'absent' on a server without them; sig
    // changes whenever a silence comes, goes or ends.
    this.silences = { state: 'unknown', list: [], at: 0, sig: '' };
    // Per group (key): the silences muting it, as the server matched them
    // (its regexes are POSIX, so the browser never matches them itself),
    // valid for silences.sig.
    this.silencedBy = new Map();
    this.queue = new Queue(4);
    this.changes = [];
    this.rebalances = new Map();
    this.pending = false;
    this.epoch = 0;
    // True from a lost connection until the group list is loaded again:
    // the server may have restarted and not know the groups the page
    // knows yet, so nothing is asked of them meanwhile.
    this.offline = false;
  }

  // fn() is called (batched per animation frame) after any change.
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    this.epoch++;
    if (this.pending) return;
    this.pending = true;
    let done = false;
    const run = () => {
      if (done) return;
      done = true;
      this.pending = false;
      for (const fn of [...this.listeners]) {
        try {
          fn();
        } catch (e) {
          console.error(e);
        }
      }
    };
    // A frame when the page is painting; a timer otherwise (hidden or
    // throttled pages get no frames but must stay current).
    if (!document.hidden) requestAnimationFrame(run);
    setTimeout(run, document.hidden ? 250 : 100);
  }

  ensure(cluster, group) {
    const key = groupKey(cluster, group);
    let g = this.groups.get(key);
    if (!g) {
      g = { key, cluster, group, status: '', kind: '', totallag: null,
        maxlag: null, maxTimeLag: null, since: null, explanation: '',
        partitionCount: null, spark: null, sparkState: 0, detailState: 0,
        detailStale: false, detailTick: -1, live: false,
        search: `${cluster}/${group}`.toLowerCase() };
      this.groups.set(key, g);
    }
    return g;
  }

  get(cluster, group) {
    return this.groups.get(groupKey(cluster, group));
  }

  // True when the cluster is evaluated on the wall clock (a live source).
  // A replay cluster, or one the cluster list does not name (a trace can
  // bring its own clusters), runs on the trace's clock.
  wallClock(cluster) {
    const cls = this.clusterClass.get(cluster);
    return cls === 'embedded' || cls === 'kafka';
  }

  // The cluster's evaluation clock now (ms).
  clusterNow(cluster) {
    return Date.now() + (this.clocks.get(cluster) || 0);
  }

  // Learns a cluster's clock from a time `virt` that was "now" (exact) or
  // at most an evaluation interval ago (history).
  observeClock(cluster, virt, exact) {
    if (this.wallClock(cluster) || !Number.isFinite(virt)) return;
    const off = virt - Date.now();
    const cur = this.clocks.get(cluster);
    if (exact || cur === undefined || off > cur) this.clocks.set(cluster, off);
  }

  // Resolves once the first load() succeeded.
  whenLoaded() {
    if (this.loaded) return Promise.resolve();
    return new Promise((resolve) => {
      const off = this.subscribe(() => {
        if (this.loaded) {
          off();
          resolve();
        }
      });
    });
  }

  // True when clusterNow(cluster) can be trusted for history requests.
  clockKnown(cluster) {
    return this.wallClock(cluster) || this.clocks.has(cluster);
  }

  // Loads clusters and group lists; keeps what is already known about the
  // groups still listed. Returns true on success.
  async load() {
    try {
      const r = await getJSON('/v3/kafka');
      if (!r.ok || !r.body || !Array.isArray(r.body.clusters)) {
        throw new Error(`GET /v3/kafka answered ${r.status}`);
      }
      const clusters = r.body.clusters.map(String).sort();
      const listed = new Set();
      await Promise.all(clusters.map(async (c) => {
        const enc = encodeURIComponent(c);
        const [det, lst] = await Promise.all([
          getJSON(`/v3/kafka/${enc}`), getJSON(`/v3/kafka/${enc}/consumer`)]);
        const mod = det.body && det.body.module;
        if (mod) this.clusterClass.set(c, mod['class-name'] || '');
        if (mod && mod.status) this.clusterStatus.set(c, mod.status);
        const names = (lst.body && lst.body.consumers) || [];
        for (const n of names) {
          listed.add(this.ensure(c, String(n)).key);
        }
      }));
      // Groups of clusters the list does not name came from ticks (a
      // trace's own clusters): the ticks keep them current.
      const extra = new Set();
      for (const [key, g] of this.groups) {
        if (!clusters.includes(g.cluster)) {
          extra.add(g.cluster);
        } else if (!listed.has(key) && g.status !== 'NOTFOUND') {
          this.groups.delete(key);
        }
      }
      this.clusters = [...clusters, ...extra].sort();
      for (const c of [...this.clusterStatus.keys()]) {
        if (!clusters.includes(c)) this.clusterStatus.delete(c);
      }
      this.clusterStatusAt = Date.now();
      this.loaded = true;
      this.loadError = '';
      this.changed();
      return true;
    } catch (e) {
      this.loadError = `Cannot reach the Warren API (${e.message || e}).`;
      this.changed();
      return false;
    }
  }

  // After a lost connection, once load() has the groups again: what the
  // page knew of each group is asked again, its history only once this
  // server has given it a status (a group it lists but has not evaluated
  // yet has none).
  relearn() {
    for (const g of this.groups.values()) {
      g.live = false;
      g.detailState = 0;
      g.detailStale = true;
      g.detailTick = -1;
      if (g.sparkState === 2) g.sparkState = 0;
    }
    this.offline = false;
  }

  // Fetches every listed cluster's source state again (GET /v3/kafka/C);
  // a cluster that cannot be asked keeps what was known.
  async loadClusterStatus() {
    if (!this.loaded || this.clusterStatusBusy) return;
    this.clusterStatusBusy = true;
    try {
      let changed = false;
      await Promise.all(this.clusters.map(async (c) => {
        if (!this.clusterClass.has(c)) return;
        const r = await getJSON(`/v3/kafka/${encodeURIComponent(c)}`);
        const st = r.ok && r.body && r.body.module && r.body.module.status;
        if (!st) return;
        const was = this.clusterStatus.get(c);
        if (JSON.stringify(was) !== JSON.stringify(st)) changed = true;
        this.clusterStatus.set(c, st);
      }));
      this.clusterStatusAt = Date.now();
      if (changed) this.changed();
    } catch (e) {
      // the connection indicator tells about the API itself
    } finally {
      this.clusterStatusBusy = false;
    }
  }

  // What is wrong with each cluster, as the banners say it: a list of
  // { cluster, kind, text } with kind 'unavailable' (the source cannot
  // see its cluster), 'stale' (seen, but its figures are old),
  // 'cannot-list' (the brokers refuse to list groups) or 'offline'
  // (partitions left out because their log is corrupt).
  clusterProblems() {
    const out = [];
    for (const c of this.clusters) {
      const st = this.clusterStatus.get(c);
      if (!st) continue;
      const err = st.last_error ? String(st.last_error) : '';
      const since = st.last_refresh > 0
        ? ` Last read ${fmtMs(Date.now() - st.last_refresh)} ago; its ` +
          'groups keep their last status, marked stale.'
        : ' It has not been read since Warren started.';
      if (st.state === 'unavailable') {
        out.push({ cluster: c, kind: 'unavailable', text: `Cluster ${c} ` +
          `is unavailable: ${err || 'not reached yet'}.${since}` });
      } else if (st.stale) {
        out.push({ cluster: c, kind: 'stale', text: `Cluster ${c} is ` +
          `stale: its figures are older than its refresh interval` +
          `${err ? ` (last error: ${err})` : ''}.${since}` });
      }
      if (st.cannot_list_groups) {
        out.push({ cluster: c, kind: 'cannot-list', text: `Cluster ${c} ` +
          'cannot list consumer groups: its brokers refuse ListGroups, so ' +
          'only the groups named in its groups = setting are watched.' });
      }
      if (st.offline_partitions > 0) {
        out.push({ cluster: c, kind: 'offline', text: `Cluster ${c} has ` +
          `${st.offline_partitions} partition(s) offline: ${st.offline}.` });
      }
    }
    return out;
  }

  // True when clusters with a known state exist and none can be seen.
  allClustersDown() {
    const known = this.clusters.map((c) => this.clusterStatus.get(c))
      .filter(Boolean);
    return known.length > 0 && known.every((st) => st.state ===
      'unavailable');
  }

  // Until the first tick brings every status, fetch statuses in the
  // background (after the rows on screen, which ask with urgent = true).
  fillStatuses() {
    if (this.ticks || this.groups.size > 5000) return;
    for (const g of this.groups.values()) {
      if (!g.detailState && !g.live) this.requestDetail(g, false);
    }
  }

  // Asks for g's /lag (label, explanation, since) unless it is loaded and
  // fresh. urgent: the row is on screen.
  requestDetail(g, urgent) {
    if (this.offline || g.status === 'NOTFOUND' || g.detailState === 1) {
      return;
    }
    // A stale body is asked again once per evaluation pass at most: the
    // server caches /lag for expire-cache.
    const fresh = !g.detailStale || g.detailTick === this.ticks;
    if (g.detailState === 2 && fresh) return;
    this.queue.add(`lag ${g.key}`, () => this.fetchDetail(g), urgent);
  }

  async fetchDetail(g) {
    if (this.offline) return;
    g.detailState = 1;
    g.detailTick = this.ticks;
    try {
      const r = await getJSON(groupPath(g.cluster, g.group, '/lag'));
      const st = r.body && r.body.status;
      if (!st) throw new Error('no status');
      this.applyStatusObject(g, st);
      g.detailState = 2;
    } catch (e) {
      g.detailState = 0;
      return;
    }
    this.changed();
  }

  // Merges a /lag status object into g. A tick or an event newer than the
  // (cached, up to expire-cache old) body wins on the status itself.
  applyStatusObject(g, st) {
    const fresh = !g.live || g.status === st.status;
    if (!g.live) {
      g.status = st.status;
      g.totallag = st.totallag;
      g.maxTimeLag = st.max_time_lag_s ?? g.maxTimeLag;
      if (st.maxlag) g.maxlag = st.maxlag.current_lag;
    }
    g.detailStale = !fresh;
    if (!fresh) return;
    g.kind = st.status === 'ERR' ? errKind(st.partitions) : '';
    if (st.since !== undefined) g.since = st.since;
    g.explanation = st.explanation || '';
    g.partitionCount = st.partition_count ?? g.partitionCount;
  }

  // Asks for g's last hour of total lag (the sparkline), once the server
  // has given g a status (a tick, an event or its /lag) other than
  // NOTFOUND.
  requestSpark(g) {
    if (this.offline || g.sparkState || !g.status ||
      g.status === 'NOTFOUND') return;
    if (!g.live && g.detailState !== 2) return;
    this.queue.add(`spark ${g.key}`, () => this.fetchSpark(g), true);
  }

  async fetchSpark(g) {
    if (this.offline) return;
    g.sparkState = 1;
    const since = this.clockKnown(g.cluster) ? Math.max(0, this.clusterNow(g.cluster) - HOUR)
      : 0;
    try {
      const r = await getJSON(
        groupPath(g.cluster, g.group, `/history?since=${Math.floor(since)}`));
      const samples = (r.body && r.body.history && r.body.history.samples) ||
        [];
      if (samples.length) {
        this.observeClock(g.cluster, samples[samples.length - 1].t_last,
          false);
      }
      const from = this.clusterNow(g.cluster) - HOUR;
      const pts = [];
      for (const sm of samples) {
        if (sm.t >= from) pts.push({ t: sm.t, v: sm.totallag });
        if (sm.t_last > sm.t && sm.t_last >= from) {
          pts.push({ t: sm.t_last, v: sm.totallag });
        }
      }
      g.spark = pts;
      g.sparkState = 2;
    } catch (e) {
      g.sparkState = 0;
      return;
    }
    this.changed();
  }

  // Event "status": a transition of one group.
  onStatus(ev) {
    if (!ev || !ev.cluster || !ev.group) return;
    const g = this.ensure(ev.cluster, ev.group);
    g.live = true;
    g.status = ev.status;
    g.kind = ev.status === 'ERR' ? errKind(ev.partitions) : '';
    g.explanation = ev.explanation || (ev.status === 'NOTFOUND'
      ? 'The group is no longer known: it was deleted or it expired.' : '');
    if (Number.isFinite(ev.totallag)) g.totallag = ev.totallag;
    if (ev.status === 'NOTFOUND') {
      g.since = this.clusterNow(ev.cluster);
      g.maxTimeLag = null;
      g.totallag = null;
      g.maxlag = null;
    } else {
      this.observeClock(ev.cluster, ev.t, true);
      g.since = ev.t;
    }
    g.detailStale = false;
    this.changes.unshift({ at: Date.now(), cluster: ev.cluster,
      group: ev.group, status: ev.status, kind: g.kind,
      previous: ev.previous, explanation: g.explanation });
    if (this.changes.length > 50) this.changes.length = 50;
    this.changed();
  }

  // Event "rebalance": a generation change of one group, kept (the last
  // 50 per group) for the group page, which also has the history's.
  onRebalance(ev) {
    if (!ev || !ev.cluster || !ev.group || !Number.isFinite(ev.t)) return;
    const key = groupKey(ev.cluster, ev.group);
    let seen = this.rebalances.get(key);
    if (!seen) {
      seen = { count: 0, list: [] };
      this.rebalances.set(key, seen);
    }
    seen.count++;
    seen.list.push(ev);
    if (seen.list.length > 50) seen.list.shift();
    this.observeClock(ev.cluster, ev.t, true);
    this.changed();
  }

  // The rebalance events the stream brought for a group since the page
  // loaded: {count (all of them), list (the last 50)}.
  rebalancesSeen(cluster, group) {
    return this.rebalances.get(groupKey(cluster, group)) ||
      { count: 0, list: [] };
  }

  // Event "tick": every group's status and lags after an evaluation pass.
  onTick(ev) {
    if (!ev || !Array.isArray(ev.groups)) return;
    this.ticks++;
    this.lastTick = Date.now();
    this.queue.clearLater();
    for (const t of ev.groups) {
      if (!this.clusters.includes(t.cluster)) {
        this.clusters = [...this.clusters, t.cluster].sort();
      }
      const g = this.ensure(t.cluster, t.group);
      if (g.status !== t.status) {
        // A transition we did not see (missed while reconnecting).
        g.status = t.status;
        g.kind = '';
        g.since = null;
        g.detailStale = true;
      }
      g.live = true;
      g.totallag = t.totallag;
      g.maxlag = t.maxlag;
      g.maxTimeLag = t.max_time_lag_s;
      if (g.sparkState === 2) {
        const now = this.clusterNow(t.cluster);
        g.spark.push({ t: now, v: t.totallag });
        const from = now - HOUR;
        let k = 0;
        while (k < g.spark.length - 2 && g.spark[k].t < from) k++;
        if (k) g.spark.splice(0, k);
      }
    }
    this.changed();
  }

  // GET /v3/silences, at most every 10 s unless forced.
  loadSilences(force = false) {
    if (this.silencesBusy) return this.silencesBusy;
    if (!force && Date.now() - this.silences.at < 10000) {
      return Promise.resolve();
    }
    this.silencesBusy = this.fetchSilences().finally(() => {
      this.silencesBusy = null;
    });
    return this.silencesBusy;
  }

  async fetchSilences() {
    let r;
    try {
      r = await getJSON('/v3/silences');
    } catch (e) {
      return;
    }
    const before = `${this.silences.state}/${this.silences.sig}`;
    if (r.status === 404 || r.status === 405) {
      this.silences = { state: 'absent', list: [], at: Date.now(), sig: '' };
    } else if (r.ok && r.body && Array.isArray(r.body.silences)) {
      const list = r.body.silences;
      const sig = list.map((s) => `${s.id}:${s.state}`).join(',');
      if (sig !== this.silences.sig) this.silencedBy.clear();
      this.silences = { state: 'present', list, at: Date.now(), sig };
    } else {
      return;
    }
    // Views repaint only when something about the silences changed.
    if (`${this.silences.state}/${this.silences.sig}` !== before) {
      this.changed();
    }
  }

  // Silences in effect now.
  activeSilences() {
    return this.silences.list.filter((s) => s.state === 'active');
  }

  // The silences muting (cluster, group): a list ([] when none), or null
  // while not known yet.
  silencesOf(cluster, group) {
    if (!this.activeSilences().length) return [];
    const e = this.silencedBy.get(groupKey(cluster, group));
    return e && e.sig === this.silences.sig ? e.list : null;
  }

  // Asks the server which silences mute g (only while some are active).
  requestSilenced(g, urgent) {
    if (this.silencesOf(g.cluster, g.group) !== null) return;
    const sig = this.silences.sig;
    this.queue.add(`silenced ${g.key}`, async () => {
      const q = `?cluster=${encodeURIComponent(g.cluster)}&group=` +
        `${encodeURIComponent(g.group)}`;
      const r = await getJSON(`/v3/silences${q}`);
      if (!r.ok || !r.body || !Array.isArray(r.body.silences)) return;
      this.silencedBy.set(g.key, { sig, list: r.body.silences });
      this.changed();
    }, urgent);
  }

  // GET /v3/notifiers: state 'absent' when the server has no such route.
  loadNotifiers() {
    if (!this.notifiersBusy) {
      this.notifiersBusy = this.fetchNotifiers().finally(() => {
        this.notifiersBusy = null;
      });
    }
    return this.notifiersBusy;
  }

  async fetchNotifiers() {
    try {
      const r = await getJSON('/v3/notifiers');
      if (r.status === 404 || r.status === 405) {
        this.notifiers = { state: 'absent', body: null, at: Date.now() };
      } else if (r.ok && r.body) {
        this.notifiers = { state: 'present', body: r.body, at: Date.now() };
      }
    } catch (e) {
      return;
    }
    this.changed();
  }
}
