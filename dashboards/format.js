// SPDX-License-Identifier: Apache-2.0
// Status vocabulary and number/time formatting shared by every view.
//
// A status is always shown as an icon, a word and a colour together, so
// colour is never the only signal. Group statuses are Burrow's (OK, WARN,
// ERR, NOTFOUND); an ERR group is described by the partition status that
// made it ERR (stalled, stopped, rewound, or LOST: a partition ERR by the
// rule data-loss, its committed offset below the log start) when that is
// known.

export const STATUS = {
  OK: { word: 'OK', sev: 0, cls: 'ok', icon: 'ok' },
  WARN: { word: 'falling behind', sev: 2, cls: 'warn', icon: 'warn' },
  ERR: { word: 'error', sev: 3, cls: 'err', icon: 'err' },
  STALL: { word: 'stalled', sev: 3, cls: 'err', icon: 'stall' },
  STOP: { word: 'stopped', sev: 3, cls: 'err', icon: 'stop' },
  REWIND: { word: 'rewound', sev: 3, cls: 'err', icon: 'rewind' },
  LOST: { word: 'data loss', sev: 3, cls: 'err', icon: 'err' },
  NOTFOUND: { word: 'not found', sev: 1, cls: 'gone', icon: 'gone' },
  '': { word: 'loading', sev: -1, cls: 'unknown', icon: 'unknown' },
};

export const ERR_KINDS = ['STALL', 'STOP', 'REWIND', 'LOST'];

// The status a partition shows: LOST for data loss, else its own.
export function partStatus(p) {
  return p && p.status === 'ERR' && p.rule === 'data-loss' ? 'LOST'
    : (p ? p.status : '');
}

// Meta for a status name; unknown names fall back to "loading".
export function statusMeta(s) {
  return STATUS[s] || STATUS[''];
}

// The status a group row shows: the ERR kind when known, else the status.
export function displayStatus(status, kind) {
  if (status === 'ERR' && kind) return kind;
  return status || '';
}

// First partition status that makes a group ERR (list of {status}).
export function errKind(partitions) {
  if (!Array.isArray(partitions)) return '';
  for (const p of partitions) {
    if (p && ERR_KINDS.includes(partStatus(p))) return partStatus(p);
  }
  return '';
}

// Severity for sorting: larger first. ERR > WARN > NOTFOUND > OK > loading.
export function severity(status) {
  return statusMeta(status).sev;
}

const nf = new Intl.NumberFormat('en-US');

// 12345 -> "12,345"; null/undefined -> "—".
export function fmtInt(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return nf.format(Math.round(n));
}

// 12345 -> "12.3k", 4500000 -> "4.5M" (axis labels).
export function fmtCompact(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const a = Math.abs(n);
  const units = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [v, u] of units) {
    if (a >= v) {
      const x = n / v;
      return (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1))
        .replace(/\.0$/, '') + u;
    }
  }
  return String(Math.round(n * 100) / 100);
}

// Seconds as a short duration: 0.4 -> "0.4 s", 75 -> "1 min 15 s",
// 7300 -> "2 h 1 min", 200000 -> "2 d 7 h". null -> "—".
export function fmtSeconds(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 0) s = 0;
  if (s < 10) return `${(Math.round(s * 10) / 10).toString()} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) {
    const rs = Math.round(s - m * 60);
    return rs && m < 10 ? `${m} min ${rs} s` : `${m} min`;
  }
  const h = Math.floor(m / 60);
  if (h < 48) {
    const rm = m - h * 60;
    return rm ? `${h} h ${rm} min` : `${h} h`;
  }
  const d = Math.floor(h / 24);
  const rh = h - d * 24;
  return rh ? `${d} d ${rh} h` : `${d} d`;
}

// Milliseconds as a duration (see fmtSeconds).
export function fmtMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return fmtSeconds(ms / 1000);
}

function pad(n) {
  return n < 10 ? `0${n}` : String(n);
}

// Clock time of an epoch ms: "14:03:07" (local time).
export function fmtClock(ms, withSeconds = true) {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}

// Full local date and time: "2024-03-01 14:03:07".
export function fmtDateTime(ms) {
  if (!Number.isFinite(ms)) return '—';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    fmtClock(ms);
}

// Rule names as words ("no_recent_commit" -> "no recent commit").
export function fmtRule(rule) {
  if (!rule) return '—';
  return String(rule).replace(/[_-]+/g, ' ');
}

// "groups matching billing.* in clusters matching prod" for a silence's
// patterns (POSIX regexes matched against the whole name).
export function silenceTarget(x) {
  const g = x.group === null || x.group === undefined ? 'every group'
    : `groups matching ${x.group}`;
  return x.cluster === null || x.cluster === undefined ? g
    : `${g} in clusters matching ${x.cluster}`;
}

// One line about a silence, for titles.
export function silenceText(x) {
  return `Notifications silenced until ${fmtDateTime(Date.parse(x.until))} ` +
    `by ${x.created_by}: ${x.comment}`;
}

// A partition's retention risk (the /lag fields retention_margin,
// retention_eta_s, retention_eta_from, data_loss) as { text, title, cls }:
// "data loss: 380 records", "23 above the log start · 59 min", or "—".
export function fmtRetention(p) {
  if (!p || p.retention_margin === null || p.retention_margin === undefined) {
    return { text: '—', title: 'the log start is not known', cls: '' };
  }
  if (p.data_loss) {
    return { text: `data loss: ${fmtInt(-p.retention_margin)} records`,
      title: 'the committed offset is below the log start: retention ' +
        'deleted records the group had not read', cls: 'ret-lost' };
  }
  const from = p.retention_eta_from === 'retention-ms'
    ? "from the topic's retention.ms and the committed record's age"
    : "from how fast the log start advances";
  const eta = p.retention_eta_s === null || p.retention_eta_s === undefined
    ? '' : ` · ${fmtSeconds(p.retention_eta_s)}`;
  return { text: `${fmtInt(p.retention_margin)} above the log start${eta}`,
    title: eta ? `records between the log start and the committed offset; ` +
      `retention may reach unread records in ${fmtSeconds(p.retention_eta_s)}` +
      ` if the group reads no further (${from})`
      : 'records between the log start and the committed offset',
    cls: p.retention_eta_s !== null && p.retention_eta_s !== undefined &&
      p.retention_eta_s < 3600 ? 'ret-risk' : '' };
}
