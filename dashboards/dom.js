// SPDX-License-Identifier: Apache-2.0
// Tiny DOM helpers: elements are built with h() and text nodes only, so
// names coming from Kafka (groups, topics, owners) are never parsed as
// HTML. Status badges and icons live here because every view uses them.

import { statusMeta } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

// h('div', {class: 'x', onclick: fn}, child, 'text', [more]) -> Element.
// Attributes whose value is null, undefined or false are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

// Same as h() in the SVG namespace.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  append(el, children);
  return el;
}

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// Replaces every child of el.
export function replaceChildren(el, ...children) {
  el.textContent = '';
  append(el, children);
}

// Icon paths on a 16x16 grid; each status has its own shape.
const ICONS = {
  ok: 'M3 8.5l3.2 3.2L13 4.8',
  warn: 'M8 2L15 14H1Z M8 6.5v3.5 M8 11.8v.4',
  err: 'M4 4l8 8 M12 4l-8 8',
  stall: 'M5.5 3.5v9 M10.5 3.5v9',
  stop: 'M4 4h8v8H4Z',
  rewind: 'M3.5 8a4.5 4.5 0 1 0 1.4-3.3 M3 2.5v3h3',
  gone: 'M6 6a2 2 0 1 1 2.8 1.8C8.2 8.1 8 8.6 8 9.4 M8 11.8v.4',
  unknown: 'M4 8h.01 M8 8h.01 M12 8h.01',
  moon: 'M13.5 9.5A5.5 5.5 0 1 1 6.5 2.5a4.5 4.5 0 0 0 7 7Z',
  sun: 'M8 5.5a2.5 2.5 0 1 0 0 5a2.5 2.5 0 0 0 0-5Z M8 1v2 M8 13v2 M1 8h2 ' +
    'M13 8h2 M3 3l1.4 1.4 M11.6 11.6L13 13 M3 13l1.4-1.4 M11.6 4.4L13 3',
};

// An aria-hidden 16x16 icon for a status icon name (see format.js).
export function icon(name, cls = 'icon') {
  const d = ICONS[name] || ICONS.unknown;
  return s('svg', { class: cls, viewBox: '0 0 16 16', 'aria-hidden': 'true',
    focusable: 'false' }, s('path', { d }));
}

// Badge: icon + word, coloured by status class. `status` is a group or
// partition status name (ERR kinds included).
export function badge(status, extraText) {
  const m = statusMeta(status);
  return h('span', { class: `badge st-${m.cls}`, dataset: { status } },
    icon(m.icon), h('span', { class: 'badge-word' }, m.word),
    extraText ? h('span', { class: 'badge-extra' }, extraText) : null);
}
