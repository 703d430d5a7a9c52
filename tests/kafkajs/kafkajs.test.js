// SPDX-License-Identifier: Apache-2.0
// KafkaJS against `warren broker serve` (address in argv[2]): a producer,
// a two-member consumer group that reads every record once and commits,
// and admin fetchOffsets / listGroups / describeGroups / createTopics.
// Prints "N passed, N failed" and exits non-zero on any failure.
'use strict';
const { Kafka, logLevel } = require('kafkajs');

const broker = process.argv[2];
let passed = 0;
let failed = 0;
function check(name, cond, detail) {
  if (cond) passed++;
  else {
    failed++;
    console.log(`FAIL: ${name}${detail === undefined ? '' : ': ' + detail}`);
  }
}
async function until(what, fn, ms = 30000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  console.log(`timed out waiting for ${what}`);
  return false;
}

async function main() {
  const kafka = new Kafka({ clientId: 'kjs', brokers: [broker], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const created = await admin.createTopics({ topics: [{ topic: 'kjs', numPartitions: 4 }] });
  check('createTopics', created === true);
  const md = await admin.fetchTopicMetadata({ topics: ['kjs'] });
  check('metadata partitions', md.topics[0].partitions.length === 4);

  const producer = kafka.producer();
  await producer.connect();
  const N = 400;
  for (let i = 0; i < N; i += 100) {
    const messages = [];
    for (let j = i; j < i + 100; j++) messages.push({ key: `k${j}`, value: `v${j}` });
    const res = await producer.send({ topic: 'kjs', acks: -1, messages });
    check('send acknowledged', res.every((r) => r.errorCode === 0), JSON.stringify(res));
  }
  await producer.disconnect();

  const seen = new Map();
  const consumers = [];
  for (let m = 0; m < 2; m++) {
    const c = kafka.consumer({ groupId: 'kjs-group', sessionTimeout: 10000, heartbeatInterval: 500 });
    await c.connect();
    await c.subscribe({ topic: 'kjs', fromBeginning: true });
    await c.run({
      eachMessage: async ({ message }) => {
        const v = message.value.toString();
        seen.set(v, (seen.get(v) || 0) + 1);
      },
    });
    consumers.push(c);
  }
  await until('every record consumed', () => seen.size === N);
  check('every record consumed', seen.size === N, seen.size);
  check('no record twice', [...seen.values()].every((n) => n === 1));
  const groups = await admin.listGroups();
  check('listGroups', groups.groups.some((g) => g.groupId === 'kjs-group'), JSON.stringify(groups));
  const committed = async () => {
    const offs = await admin.fetchOffsets({ groupId: 'kjs-group', topics: ['kjs'] });
    return offs[0].partitions.reduce((s, p) => s + Number(p.offset), 0);
  };
  await until('offsets committed', async () => (await committed()) === N);
  check('fetchOffsets sums to the records', (await committed()) === N, await committed());
  const desc = await admin.describeGroups(['kjs-group']);
  check('describeGroups stable with 2 members',
    desc.groups[0].state === 'Stable' && desc.groups[0].members.length === 2,
    JSON.stringify(desc.groups[0].state) + ' ' + desc.groups[0].members.length);
  for (const c of consumers) await c.disconnect();
  const after = await admin.describeGroups(['kjs-group']);
  check('group empty after disconnects', after.groups[0].state === 'Empty', after.groups[0].state);
  await admin.deleteTopics({ topics: ['kjs'] });
  const topics = await admin.listTopics();
  check('deleteTopics', !topics.includes('kjs'), JSON.stringify(topics));
  await admin.disconnect();
}

main()
  .catch((e) => {
    failed++;
    console.log('FAIL: ' + (e && e.stack ? e.stack : e));
  })
  .finally(() => {
    console.log(`${passed} passed, ${failed} failed`);
    process.exit(failed ? 1 : 0);
  });
