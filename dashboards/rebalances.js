// SPDX-License-Identifier: Apache-2.0
// A group's rebalances (each change of its generation) on the group page:
// the list under the lag chart, newest first, with the deployment kind
// Warren read from the sequence of generations, the sentence that
// explains it, the group state before and after, and who joined and who
// left (member id and host). The events come from
// GET .../consumer/G/history (history.rebalances) and, while the page is
// open, from the "rebalance" events of the stream; mergeRebalances()
// joins the two without repeating one.

import { h, replaceChildren } from './dom.js';
import { fmtDateTime } from './format.js';

// The words for a deployment kind (the event's `deployment`).
const DEPLOY_WORDS = {
  'stop-the-world': 'stop-the-world deployment',
  'blue-green': 'blue/green deployment',
  rolling: 'rolling deployment',
  canary: 'canary deployment',
};

// At most this many events are kept per group page.
const KEEP = 500;

function keyOf(r) {
  return `${r.t}\u0000${r.generation}\u0000${r.generation_before}`;
}

// The badge word of an event: its deployment kind, else "rebalance".
export function rebalanceWord(r) {
  return DEPLOY_WORDS[r.deployment] || 'rebalance';
}

// The events of `list` and `more` once each, oldest first; a later copy
// of an event (the stream's) replaces the earlier one.
export function mergeRebalances(list, more) {
  const by = new Map();
  for (const r of [...(list || []), ...(more || [])]) {
    if (r && Number.isFinite(r.t)) by.set(keyOf(r), r);
  }
  const out = [...by.values()].sort((a, b) => a.t - b.t);
  return out.length > KEEP ? out.slice(out.length - KEEP) : out;
}

// "joined: m1 on /10.0.0.5, m2 on ..." for up to three members.
function who(word, members, total) {
  const list = (members || []).slice(0, 3).map((m) =>
    `${m.member_id || m.client_id || '?'}${m.host ? ` on ${m.host}` : ''}`);
  if (!list.length) return null;
  const rest = Math.max(0, (total || 0) - list.length);
  return `${word}: ${list.join(', ')}${rest ? ` and ${rest} more` : ''}`;
}

function sentence(text) {
  const t = String(text || '');
  return t ? `${t[0].toUpperCase()}${t.slice(1)}.` : '';
}

// Draws the list into box: the newest `limit` events (all of them after
// the "show all" button), or a line saying there are none.
export function rebalanceList(box, list, { limit = 10 } = {}) {
  const all = [...list].reverse();
  if (!all.length) {
    replaceChildren(box, h('p', { class: 'muted' }, 'No rebalance ' +
      'recorded: the group kept its members and its generation. Each ' +
      'generation change shows here and on the chart above.'));
    return;
  }
  const shown = box.dataset.all === '1' ? all : all.slice(0, limit);
  const items = shown.map((r) => h('li', { class: 'rebalance',
    dataset: { deployment: r.deployment || '', change: r.change || '' } },
  h('div', { class: 'rb-head' },
    h('span', { class: `pill rb-kind${r.deployment ? ' rb-deploy' : ''}` },
      rebalanceWord(r)),
    h('time', { class: 'muted small', datetime: new Date(r.t).toISOString() },
      fmtDateTime(r.t))),
  h('p', { class: 'rb-sentence' }, sentence(r.sentence)),
  h('p', { class: 'muted small rb-members' }, [
    `state ${r.state_before || '—'} → ${r.state || '—'}`,
    who('joined', r.joined, r.joined_total),
    who('left', r.left, r.left_total),
  ].filter(Boolean).join(' · '))));
  const more = all.length - shown.length;
  replaceChildren(box, h('ol', { class: 'rebalances' }, items),
    more > 0 ? h('button', { type: 'button', class: 'link-button',
      onclick: () => {
        box.dataset.all = '1';
        rebalanceList(box, list, { limit });
      } }, `Show ${more} older`) : null);
}
