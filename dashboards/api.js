// SPDX-License-Identifier: Apache-2.0
// The HTTP side: JSON requests to Warren's /v3 API, a small request queue
// with bounded concurrency and two priorities, and the /v3/events stream
// with its own reconnection (EventSource retries network errors itself,
// but gives up on a non-200 answer such as 503 when the server is full or
// restarting, so we re-open it with backoff).

// Path of a group resource: /v3/kafka/{cluster}/consumer/{group}{suffix}.
export function groupPath(cluster, group, suffix = '') {
  return `/v3/kafka/${encodeURIComponent(cluster)}/consumer/` +
    `${encodeURIComponent(group)}${suffix}`;
}

// GET path -> {status, ok, body}; body is the parsed JSON or null. Throws
// only on a network failure.
export async function getJSON(path, signal) {
  const r = await fetch(path, { headers: { Accept: 'application/json' },
    cache: 'no-store', signal });
  let body = null;
  try {
    body = await r.json();
  } catch (e) {
    body = null;
  }
  return { status: r.status, ok: r.ok, body };
}

// Runs async jobs with at most `limit` in flight; urgent jobs first.
// A job key already queued or running is not queued again.
export class Queue {
  constructor(limit) {
    this.limit = limit;
    this.running = 0;
    this.urgent = [];
    this.later = [];
    this.keys = new Set();
  }

  // Queues fn (returns a promise) under key; urgent jobs jump the line.
  add(key, fn, urgent = false) {
    if (this.keys.has(key)) {
      if (urgent) {
        const i = this.later.findIndex((j) => j.key === key);
        if (i >= 0) this.urgent.push(...this.later.splice(i, 1));
      }
      return;
    }
    this.keys.add(key);
    (urgent ? this.urgent : this.later).push({ key, fn });
    this.pump();
  }

  // Drops every job not yet started.
  clearLater() {
    for (const j of this.later) this.keys.delete(j.key);
    this.later = [];
  }

  pump() {
    while (this.running < this.limit &&
           (this.urgent.length || this.later.length)) {
      const job = this.urgent.length ? this.urgent.shift() : this.later.shift();
      this.running++;
      Promise.resolve()
        .then(job.fn)
        .catch(() => {})
        .finally(() => {
          this.running--;
          this.keys.delete(job.key);
          this.pump();
        });
    }
  }
}

// The /v3/events stream. Calls onState(state, info) with state one of
// 'connecting', 'live', 'reconnecting', 'disconnected' (info.retryAt for
// the last), and onEvent(name, data) for "status", "tick" and "dropped".
// `opened` counts successful opens, so a listener can resync after a
// reconnect (events were missed while it was down).
export class EventStream {
  constructor(url, onEvent, onState) {
    this.url = url;
    this.onEvent = onEvent;
    this.onState = onState;
    this.es = null;
    this.opened = 0;
    this.failures = 0;
    this.timer = null;
    this.state = 'connecting';
    this.lastMessage = 0;
    this.watchdog = null;
    this.gapMs = 0;
  }

  start() {
    this.open();
    // A connection that silently died (laptop sleep, proxy) sends nothing:
    // ticks come every evaluation pass, the server adds a heartbeat every
    // 15 s, so a long silence means it is gone.
    this.watchdog = setInterval(() => {
      if (this.state !== 'live' || !this.lastMessage) return;
      const limit = Math.max(60000, 4 * this.gapMs);
      if (Date.now() - this.lastMessage > limit) this.restart();
    }, 5000);
  }

  setState(state, info = {}) {
    this.state = state;
    this.onState(state, info);
  }

  open() {
    clearTimeout(this.timer);
    this.timer = null;
    let es;
    try {
      es = new EventSource(this.url);
    } catch (e) {
      this.schedule();
      return;
    }
    this.es = es;
    this.setState(this.opened ? 'reconnecting' : 'connecting');
    es.onopen = () => {
      if (this.es !== es) return;
      this.failures = 0;
      this.opened++;
      this.lastMessage = Date.now();
      this.setState('live', { reopened: this.opened > 1 });
    };
    es.onerror = () => {
      if (this.es !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        this.schedule();
      } else {
        this.setState('reconnecting');
      }
    };
    for (const name of ['status', 'tick', 'rebalance', 'dropped']) {
      es.addEventListener(name, (ev) => {
        if (this.es !== es) return;
        const now = Date.now();
        if (name === 'tick' && this.lastTick) this.gapMs = now - this.lastTick;
        if (name === 'tick') this.lastTick = now;
        this.lastMessage = now;
        let data = null;
        try {
          data = JSON.parse(ev.data);
        } catch (e) {
          return;
        }
        this.onEvent(name, data);
      });
    }
  }

  // Closes the current stream and schedules a new one with backoff.
  schedule() {
    if (this.es) this.es.close();
    this.es = null;
    this.failures++;
    const delay = Math.min(15000, 1000 * 2 ** Math.min(this.failures - 1, 4));
    this.setState('disconnected', { retryAt: Date.now() + delay });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.open(), delay);
  }

  // Drops the current stream and opens a new one now.
  restart() {
    if (this.es) this.es.close();
    this.es = null;
    this.open();
  }
}
