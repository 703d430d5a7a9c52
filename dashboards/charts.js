// SPDX-License-Identifier: Apache-2.0
// SVG charts: the overview's sparkline, the group's lag-over-time chart
// (offset lag and time lag, with the status band and status changes
// marked) and the window chart (committed offsets against head offsets:
// the evidence a rule looked at). Plain SVG sized to its container; every
// chart also carries a text summary (aria-label / <title>) so it is not
// only a picture.

import { h, s } from './dom.js';
import { fmtClock, fmtCompact, fmtDateTime, fmtInt, fmtSeconds,
  statusMeta } from './format.js';

function scale(d0, d1, r0, r1) {
  const k = d1 === d0 ? 0 : (r1 - r0) / (d1 - d0);
  return (v) => r0 + (v - d0) * k;
}

// "Nice" ticks covering [lo, hi], about n of them.
export function niceTicks(lo, hi, n = 4) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  // From the last tick at or below lo to the first at or above hi.
  const out = [];
  const a = Math.floor(lo / step + 1e-9);
  const b = Math.ceil(hi / step - 1e-9);
  for (let i = a; i <= b; i++) out.push(+(i * step).toPrecision(12));
  return out;
}

// Ticks for a duration axis in seconds, in a unit that reads well:
// [{v: seconds, label: "5 min"}].
export function secondsTicks(max, n = 4) {
  const units = [[86400, 'd'], [3600, 'h'], [60, 'min'], [1, 's']];
  let u = units[units.length - 1];
  for (const x of units) {
    if (max >= 2 * x[0]) {
      u = x;
      break;
    }
  }
  return niceTicks(0, (max || 1) / u[0], n).map((v) => ({ v: v * u[0],
    label: `${+v.toPrecision(3)}${u[1] === 's' ? 's' : ` ${u[1]}`}` }));
}

// Labels for value ticks: compact ("12.5k") unless that would make two
// ticks read the same, then in full ("502,520").
function tickLabels(ticks) {
  const c = ticks.map(fmtCompact);
  return new Set(c).size === c.length ? c : ticks.map(fmtInt);
}

const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
  7200, 10800, 21600, 43200, 86400].map((x) => x * 1000);

// Time ticks on local-time boundaries, about n of them.
export function timeTicks(t0, t1, n = 5) {
  const span = t1 - t0;
  if (!(span > 0)) return [t0];
  let step = TIME_STEPS[TIME_STEPS.length - 1];
  for (const st of TIME_STEPS) {
    if (span / st <= n) {
      step = st;
      break;
    }
  }
  const tz = new Date(t0).getTimezoneOffset() * 60000;
  const out = [];
  for (let t = Math.ceil((t0 - tz) / step) * step + tz; t <= t1; t += step) {
    out.push(t);
  }
  return { ticks: out, step };
}

// Sparkline of points [{t, v}] over [t1 - span, t1]; status class colours
// the last point. Returns an <svg>.
export function sparkline(points, { width = 120, height = 28, t1, span,
  label = '' } = {}) {
  const svg = s('svg', { class: 'spark', viewBox: `0 0 ${width} ${height}`,
    width, height, role: 'img', preserveAspectRatio: 'none' });
  if (!points || points.length === 0) {
    svg.setAttribute('aria-label', `${label}: no samples yet`);
    svg.appendChild(s('line', { class: 'spark-empty', x1: 2, x2: width - 2,
      y1: height - 2, y2: height - 2 }));
    return svg;
  }
  // A group younger than the span is drawn over the time it exists.
  const t0 = Math.min(t1 - 60000, Math.max(t1 - span, points[0].t));
  let max = 0;
  for (const p of points) max = Math.max(max, p.v);
  const x = scale(t0, t1, 1, width - 3);
  const y = scale(0, max || 1, height - 2, 3);
  const xy = points.map((p) => `${Math.max(1, x(p.t)).toFixed(1)},` +
    `${y(p.v).toFixed(1)}`);
  const first = xy[0].split(',');
  const last = xy[xy.length - 1].split(',');
  svg.appendChild(s('path', { class: 'spark-area',
    d: `M${first[0]},${height - 1}L${xy.join('L')}L${last[0]},${height - 1}Z`,
  }));
  svg.appendChild(s('polyline', { class: 'spark-line', points: xy.join(' '),
  }));
  svg.appendChild(s('circle', { class: 'spark-dot', cx: last[0], cy: last[1],
    r: 2.2 }));
  const v0 = points[0].v;
  const v1 = points[points.length - 1].v;
  const text = `${label}: ${fmtInt(v0)} to ${fmtInt(v1)}, peak ${fmtInt(max)}`;
  svg.setAttribute('aria-label', text);
  svg.appendChild(s('title', null, text));
  return svg;
}

// Expands history samples ({t, t_last, status, totallag, max_time_lag_s})
// into points at t and at t_last (a sample stands for a run of equal
// evaluations).
export function historyPoints(samples) {
  const pts = [];
  for (const sm of samples) {
    pts.push({ t: sm.t, lag: sm.totallag, tl: sm.max_time_lag_s,
      status: sm.status });
    if (sm.t_last > sm.t) {
      pts.push({ t: sm.t_last, lag: sm.totallag, tl: sm.max_time_lag_s,
        status: sm.status });
    }
  }
  pts.sort((a, b) => a.t - b.t);
  return pts;
}

function linePath(pts, x, y, key) {
  let d = '';
  for (const p of pts) {
    const v = p[key];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    d += `${d ? 'L' : 'M'}${x(p.t).toFixed(1)},${y(v).toFixed(1)}`;
  }
  return d;
}

// Lag over time for a group. pts: historyPoints(); range [t0, t1];
// rebalances: the group's rebalance events ({t, sentence, deployment}),
// each drawn as a marker (a dashed line with a diamond, the sentence as
// its tooltip and in the hover read-out). Draws into `box` (an element;
// its width sets the chart width) and returns a text summary.
export function lagChart(box, pts, { t0: from, t1, height = 260,
  rebalances = [] }) {
  box.textContent = '';
  // History younger than the range: draw from its first sample.
  const first = pts.length ? pts[0].t : from;
  const t0 = Math.min(t1 - 60000, Math.max(from, first));
  const W = Math.max(280, Math.floor(box.clientWidth || 600));
  const H = height;
  const m = { l: 52, r: 52, t: 22, b: 40 };
  const narrow = W < 480;
  if (narrow) {
    m.l = 40;
    m.r = 40;
  }
  const inView = pts.filter((p) => p.t >= t0 && p.t <= t1);
  if (inView.length === 0) {
    box.appendChild(h('p', { class: 'chart-empty' },
      'No history in this range yet: a sample is added at every ' +
      'evaluation.'));
    return 'no samples';
  }
  // Include the point just before the range so lines start at the edge.
  const before = pts.filter((p) => p.t < t0).pop();
  const data = before ? [{ ...before, t: t0 }, ...inView] : inView;
  let maxLag = 0;
  let maxTl = 0;
  for (const p of data) {
    maxLag = Math.max(maxLag, p.lag || 0);
    maxTl = Math.max(maxTl, p.tl || 0);
  }
  const yl = niceTicks(0, maxLag || 1, 4);
  const yt = secondsTicks(maxTl || 1, 4);
  const lagTop = yl[yl.length - 1] || 1;
  const tlTop = yt[yt.length - 1].v || 1;
  const x = scale(t0, t1, m.l, W - m.r);
  const y1 = scale(0, lagTop, H - m.b, m.t);
  const y2 = scale(0, tlTop, H - m.b, m.t);
  const svg = s('svg', { class: 'chart lag-chart', viewBox: `0 0 ${W} ${H}`,
    width: W, height: H, role: 'img' });

  // Grid and axes.
  const g = s('g', { class: 'axis' });
  const ylLabels = tickLabels(yl);
  yl.forEach((v, i) => {
    g.appendChild(s('line', { class: 'grid', x1: m.l, x2: W - m.r,
      y1: y1(v), y2: y1(v) }));
    g.appendChild(s('text', { x: m.l - 6, y: y1(v) + 4, 'text-anchor': 'end',
      class: 'tick-lag' }, ylLabels[i]));
  });
  for (const v of yt) {
    g.appendChild(s('text', { x: W - m.r + 6, y: y2(v.v) + 4,
      class: 'tick-tl' }, v.label));
  }
  const tt = timeTicks(t0, t1, narrow ? 3 : 6);
  for (const t of tt.ticks) {
    g.appendChild(s('line', { class: 'grid grid-v', x1: x(t), x2: x(t),
      y1: m.t, y2: H - m.b }));
    g.appendChild(s('text', { x: x(t), y: H - m.b + 26, 'text-anchor':
      'middle' }, fmtClock(t, tt.step < 60000)));
  }
  svg.appendChild(g);

  // Status band under the plot, one segment per run of equal statuses,
  // and a marker at every change.
  const band = s('g', { class: 'band' });
  const marks = s('g', { class: 'marks' });
  let lastLabelX = -1e9;
  for (let i = 0; i < data.length; i++) {
    const p = data[i];
    const xa = x(p.t);
    const meta = statusMeta(p.status);
    if (i === 0 || data[i - 1].status !== p.status) {
      let j = i;
      while (j + 1 < data.length && data[j + 1].status === p.status) j++;
      const xe = j + 1 < data.length ? x(data[j + 1].t) : x(t1);
      band.appendChild(s('rect', { class: `seg st-${meta.cls}`, x: xa,
        y: H - m.b + 4, width: Math.max(0.5, xe - xa), height: 8 },
      s('title', null, `${meta.word} from ${fmtDateTime(p.t)}`)));
    }
    if (i > 0 && data[i - 1].status !== p.status) {
      marks.appendChild(s('line', { class: `mark st-${meta.cls}`, x1: xa,
        x2: xa, y1: m.t - 4, y2: H - m.b + 12 }));
      if (xa - lastLabelX > 70 && xa < W - m.r - 20) {
        marks.appendChild(s('text', { class: `mark-label st-${meta.cls}`,
          x: xa + 3, y: m.t - 8 }, meta.word));
        lastLabelX = xa;
      }
      marks.appendChild(s('title', null,
        `${fmtDateTime(p.t)}: ${statusMeta(data[i - 1].status).word} -> ` +
        `${meta.word}`));
    }
  }
  svg.appendChild(band);

  // Offset lag: area + line (left axis). Time lag: dashed (right axis).
  const dl = linePath(data, x, y1, 'lag');
  if (dl) {
    const xs = data.map((p) => x(p.t));
    svg.appendChild(s('path', { class: 'area-lag',
      d: `${dl}L${xs[xs.length - 1]},${y1(0)}L${xs[0]},${y1(0)}Z` }));
    svg.appendChild(s('path', { class: 'line-lag', d: dl }));
  }
  const dt = linePath(data, x, y2, 'tl');
  if (dt && maxTl > 0) svg.appendChild(s('path', { class: 'line-tl', d: dt }));
  svg.appendChild(marks);

  // Hover cursor with a tooltip.
  const cursor = s('line', { class: 'cursor', y1: m.t, y2: H - m.b,
    visibility: 'hidden' });
  svg.appendChild(cursor);
  const tip = h('div', { class: 'chart-tip', hidden: true });
  const overlay = s('rect', { class: 'overlay', x: m.l, y: m.t,
    width: W - m.l - m.r, height: H - m.t - m.b });
  const move = (ev) => {
    const r = svg.getBoundingClientRect();
    const px = (ev.clientX - r.left) * (W / r.width);
    const t = t0 + (px - m.l) / (W - m.l - m.r) * (t1 - t0);
    let best = data[0];
    for (const p of data) {
      if (Math.abs(p.t - t) < Math.abs(best.t - t)) best = p;
    }
    showTip(best.t, r, h('strong', null, fmtDateTime(best.t)),
      h('span', null, `status: ${statusMeta(best.status).word}`),
      h('span', null, `offset lag: ${fmtInt(best.lag)}`),
      h('span', null, `time lag: ${fmtSeconds(best.tl)}`));
  };
  const hide = () => {
    cursor.setAttribute('visibility', 'hidden');
    tip.hidden = true;
  };
  function showTip(t, r, ...lines) {
    cursor.setAttribute('x1', x(t));
    cursor.setAttribute('x2', x(t));
    cursor.setAttribute('visibility', 'visible');
    tip.hidden = false;
    tip.textContent = '';
    tip.append(...lines);
    const left = x(t) / W * r.width;
    tip.style.left = `${Math.min(left + 12, r.width - 170)}px`;
  }
  overlay.addEventListener('pointermove', move);
  overlay.addEventListener('pointerleave', hide);
  svg.appendChild(overlay);

  // Rebalance markers, above the overlay so each answers the pointer and
  // the keyboard (focus shows the read-out too).
  const shownRb = rebalances.filter((rb) => rb.t >= t0 && rb.t <= t1);
  const rbg = s('g', { class: 'rb-marks' });
  for (const rb of shownRb) {
    const xa = x(rb.t);
    const text = `${fmtDateTime(rb.t)}: ${rb.sentence || 'rebalance'}`;
    const mk = s('g', { class: `rb-mark${rb.deployment ? ' rb-deploy' : ''}`,
      tabindex: 0, role: 'img', 'aria-label': text,
      dataset: { t: rb.t, deployment: rb.deployment || '' } },
    s('title', null, text),
    s('line', { class: 'rb-line', x1: xa, x2: xa, y1: m.t, y2: H - m.b }),
    s('path', { class: 'rb-glyph', d: `M${xa},${m.t + 1}l5,6l-5,6l-5,-6Z` }),
    s('rect', { class: 'rb-hit', x: xa - 6, y: m.t, width: 12,
      height: H - m.t - m.b }));
    const show = () => showTip(rb.t, svg.getBoundingClientRect(),
      h('strong', null, fmtDateTime(rb.t)),
      h('span', null, rb.sentence || 'rebalance'));
    mk.addEventListener('pointerenter', show);
    mk.addEventListener('focus', show);
    mk.addEventListener('pointerleave', hide);
    mk.addEventListener('blur', hide);
    rbg.appendChild(mk);
  }
  svg.appendChild(rbg);

  if (t0 > from) {
    box.appendChild(h('p', { class: 'chart-note' }, 'History starts at ' +
      `${fmtDateTime(first)}; nothing was recorded before.`));
  }
  const last = data[data.length - 1];
  const changes = data.filter((p, i) => i > 0 && data[i - 1].status !==
    p.status).length;
  const summary = `Lag from ${fmtDateTime(t0)} to ${fmtDateTime(t1)}: ` +
    `offset lag now ${fmtInt(last.lag)} (peak ${fmtInt(maxLag)}), time ` +
    `lag now ${fmtSeconds(last.tl)} (peak ${fmtSeconds(maxTl)}), ` +
    `${changes} status change${changes === 1 ? '' : 's'}, ` +
    `${shownRb.length} rebalance${shownRb.length === 1 ? '' : 's'}.`;
  svg.setAttribute('aria-label', summary);
  box.prepend(svg, tip);
  return summary;
}

// The window of one partition: committed offsets at each commit, the head
// offset at each commit (committed + lag stored with it) and the recent
// head samples. part: {offsets: [{offset, timestamp, lag}|null], heads:
// [{offset, timestamp}]}. Returns a text summary.
export function windowChart(box, part, { height = 240, status = '' } = {}) {
  box.textContent = '';
  const commits = (part.offsets || []).filter(Boolean);
  const heads = (part.heads || []).filter(Boolean);
  if (commits.length === 0 && heads.length === 0) {
    box.appendChild(h('p', { class: 'chart-empty' },
      'No commits in the window yet.'));
    return 'no commits';
  }
  const W = Math.max(280, Math.floor(box.clientWidth || 600));
  const H = height;
  const narrow = W < 480;
  const m = { l: narrow ? 52 : 72, r: 14, t: 14, b: 34 };
  const headAt = commits.filter((c) => c.lag !== null && c.lag !== undefined)
    .map((c) => ({ t: c.timestamp, v: c.offset + c.lag }));
  const ts = [...commits.map((c) => c.timestamp), ...heads.map((c) =>
    c.timestamp)];
  const vs = [...commits.map((c) => c.offset), ...heads.map((c) => c.offset),
    ...headAt.map((c) => c.v)];
  let t0 = Math.min(...ts);
  let t1 = Math.max(...ts);
  if (t1 - t0 < 1000) {
    t0 -= 500;
    t1 += 500;
  }
  const pad = (t1 - t0) * 0.03;
  t0 -= pad;
  t1 += pad;
  let lo = Math.min(...vs);
  let hi = Math.max(...vs);
  if (hi - lo < 4) {
    hi += 2;
    lo = Math.max(0, lo - 2);
  }
  const yt = niceTicks(lo, hi, 4);
  lo = Math.min(lo, yt[0]);
  hi = Math.max(hi, yt[yt.length - 1]);
  const x = scale(t0, t1, m.l, W - m.r);
  const y = scale(lo, hi, H - m.b, m.t);
  const svg = s('svg', { class: 'chart window-chart',
    viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img' });
  const g = s('g', { class: 'axis' });
  const ytLabels = tickLabels(yt);
  yt.forEach((v, i) => {
    g.appendChild(s('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: y(v),
      y2: y(v) }));
    g.appendChild(s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' },
      ytLabels[i]));
  });
  const tt = timeTicks(t0, t1, narrow ? 3 : 6);
  for (const t of tt.ticks) {
    g.appendChild(s('text', { x: x(t), y: H - m.b + 20,
      'text-anchor': 'middle' }, fmtClock(t, true)));
  }
  svg.appendChild(g);

  // Lag: the gap between the committed line and the head at each commit.
  if (headAt.length) {
    const top = headAt.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`);
    const bottom = commits.filter((c) => c.lag !== null && c.lag !== undefined)
      .map((c) => `${x(c.timestamp).toFixed(1)},${y(c.offset).toFixed(1)}`)
      .reverse();
    svg.appendChild(s('path', { class: `gap st-${statusMeta(status).cls}`,
      d: `M${top.join('L')}L${bottom.join('L')}Z` }));
    for (const c of commits) {
      if (c.lag === null || c.lag === undefined || c.lag === 0) continue;
      svg.appendChild(s('line', { class: 'lagbar', x1: x(c.timestamp),
        x2: x(c.timestamp), y1: y(c.offset), y2: y(c.offset + c.lag) }));
    }
    svg.appendChild(s('polyline', { class: 'line-head',
      points: top.join(' ') }));
  }
  if (heads.length) {
    for (const hd of heads) {
      const cx = x(hd.timestamp);
      const cy = y(hd.offset);
      svg.appendChild(s('rect', { class: 'pt-head', x: cx - 3, y: cy - 3,
        width: 6, height: 6 },
      s('title', null, `head ${fmtInt(hd.offset)} at ${fmtClock(
        hd.timestamp)}`)));
    }
  }
  for (const p of headAt) {
    svg.appendChild(s('path', { class: 'pt-headat',
      d: `M${x(p.t)},${y(p.v) - 4}l4,4l-4,4l-4,-4Z` },
    s('title', null, `head at commit ${fmtInt(p.v)} at ${fmtClock(p.t)}`)));
  }
  const cpts = commits.map((c) => `${x(c.timestamp).toFixed(1)},` +
    `${y(c.offset).toFixed(1)}`);
  svg.appendChild(s('polyline', { class: 'line-commit',
    points: cpts.join(' ') }));
  for (const c of commits) {
    svg.appendChild(s('circle', { class: 'pt-commit', cx: x(c.timestamp),
      cy: y(c.offset), r: 3.5 },
    s('title', null, `committed ${fmtInt(c.offset)} at ` +
      `${fmtClock(c.timestamp)}, lag ${fmtInt(c.lag)}`)));
  }
  const f = commits[0];
  const l = commits[commits.length - 1];
  const summary = commits.length
    ? `${commits.length} commits from ${fmtClock(f.timestamp)} to ` +
      `${fmtClock(l.timestamp)}: committed offset ${fmtInt(f.offset)} to ` +
      `${fmtInt(l.offset)}, lag ${fmtInt(f.lag)} to ${fmtInt(l.lag)}.`
    : `${heads.length} head samples, no commits.`;
  svg.setAttribute('aria-label', summary);
  box.appendChild(svg);

  // The lag stored with each commit, on the same time axis: growing bars
  // are what "falling behind" means, bars with a flat committed line
  // above are a stall.
  const lagged = commits.filter((c) => c.lag !== null && c.lag !== undefined);
  if (lagged.length) {
    const BH = narrow ? 60 : 72;
    const maxL = Math.max(...lagged.map((c) => c.lag)) || 1;
    const yb = scale(0, maxL, BH - 2, 8);
    const bars = s('svg', { class: `chart lagbars st-${statusMeta(status).cls}`,
      viewBox: `0 0 ${W} ${BH}`, width: W, height: BH, role: 'img',
      'aria-label': `Lag at each commit: ${lagged.map((c) =>
        fmtInt(c.lag)).join(', ')}` });
    const ax = s('g', { class: 'axis' },
      s('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: yb(0),
        y2: yb(0) }),
      s('line', { class: 'grid', x1: m.l, x2: W - m.r, y1: yb(maxL),
        y2: yb(maxL) }),
      s('text', { x: m.l - 6, y: yb(maxL) + 4, 'text-anchor': 'end' },
        fmtCompact(maxL)),
      s('text', { x: m.l - 6, y: yb(0), 'text-anchor': 'end' }, '0'));
    bars.appendChild(ax);
    const bw = Math.max(3, Math.min(22, (W - m.l - m.r) /
      (commits.length * 2.2)));
    for (const c of lagged) {
      const top = yb(c.lag);
      bars.appendChild(s('rect', { class: c.lag === 0 ? 'bar zero' : 'bar',
        x: x(c.timestamp) - bw / 2, y: Math.min(top, yb(0) - 1), width: bw,
        height: Math.max(1, yb(0) - top) },
      s('title', null, `lag ${fmtInt(c.lag)} at ${fmtClock(c.timestamp)}`)));
    }
    box.append(h('p', { class: 'lagbars-title' },
      'Lag stored with each commit'), bars);
  }
  return summary;
}
