# SPDX-License-Identifier: Apache-2.0
"""Real Python Kafka clients against `warren broker serve`.

Run by test_kafka_wire_python.sh with Debian's python3 (python3-kafka is
kafka-python 2.0.2, python3-confluent-kafka binds librdkafka 2.0.2):

    kafka_wire_clients.py WARREN_BIN WORK_DIR

Starts its own brokers on free ports, runs every check and prints one
closing line "N passed, N failed"; the exit code is non-zero on failure.
Waits are bounded polls on events (a rebalance, a commit), never sleeps
standing in for an event.

Every child process (brokers, a consumer) dies with this script, even
when it is SIGKILLed: each is started with PR_SET_PDEATHSIG = SIGKILL,
and only from the main thread (the signal follows the thread that forked,
so a child started from a short-lived thread would die with that thread).

    kafka_wire_clients.py WARREN_BIN WORK_DIR hold

starts one broker, prints its pid and waits (to check that).
"""
import ctypes
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka import TopicPartition as KTP
from kafka.admin import NewTopic as KNewTopic
from kafka.consumer.fetcher import NoOffsetForPartitionError

WARREN, WORK = sys.argv[1], sys.argv[2]
passed = failed = 0
MAIN_PID = os.getpid()
_prctl = ctypes.CDLL(None, use_errno=True).prctl
PR_SET_PDEATHSIG = 1


def die_with_us():
    """preexec_fn: the child gets SIGKILL when this script dies (also
    when it died between fork and here)."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != MAIN_PID:
        os._exit(1)


def spawn(*args, **kw):
    """subprocess.Popen of a child that dies with this script."""
    assert threading.current_thread() is threading.main_thread()
    return subprocess.Popen(*args, preexec_fn=die_with_us, **kw)


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s" % (name, detail), flush=True)


def until(what, fn, timeout=40.0):
    end = time.time() + timeout
    while time.time() < end:
        if fn():
            return True
        time.sleep(0.05)
    print("timed out waiting for " + what, flush=True)
    return False


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    def __init__(self, data_dir, port, *extra):
        self.port = port
        self.log = open(os.path.join(WORK, "broker-%d.log" % port), "ab")
        self.proc = spawn(
            [WARREN, "broker", "serve", "--data-dir", data_dir, "--listen",
             "127.0.0.1:%d" % port] + list(extra),
            stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        assert line.startswith("listening on"), line
        self.addr = "127.0.0.1:%d" % port

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        return self.proc.wait(30)


def partitions_of(keys, n):
    out = subprocess.run([WARREN, "broker", "partition", "--partitions",
                          str(n)] + keys, capture_output=True, text=True)
    return [int(l.split("\t")[1]) for l in out.stdout.splitlines()]


def test_key_partitioning(b):
    keys = ["key-%d" % i for i in range(200)]
    want = partitions_of(keys, 5)
    a = AdminClient({"bootstrap.servers": b.addr})
    for f in a.create_topics([NewTopic("keys", 5, 1)]).values():
        f.result()
    kp = KafkaProducer(bootstrap_servers=b.addr, acks="all")
    got = [kp.send("keys", key=k.encode(), value=b"x").get(10).partition
           for k in keys]
    kp.close()
    check("kafka-python key partitions match murmur2", got == want)
    acked = {}
    cp = Producer({"bootstrap.servers": b.addr, "partitioner": "murmur2_random"})
    for k in keys:
        cp.produce("keys", key=k.encode(), value=b"y",
                   on_delivery=lambda e, m: acked.__setitem__(m.key().decode(),
                                                              m.partition()))
    cp.flush(10)
    check("librdkafka murmur2 partitions match",
          [acked.get(k) for k in keys] == want)


def test_rebalance(b):
    a = AdminClient({"bootstrap.servers": b.addr})
    for f in a.create_topics([NewTopic("rb", 6, 1)]).values():
        f.result()
    owned = {}
    lock = threading.Lock()
    stop = threading.Event()

    def run(name):
        def on_assign(c, parts):
            with lock:
                owned[name] = {p.partition for p in parts}

        def on_revoke(c, parts):
            with lock:
                owned[name] = set()

        c = Consumer({"bootstrap.servers": b.addr, "group.id": "rb",
                      "session.timeout.ms": 6000,
                      "heartbeat.interval.ms": 500,
                      "auto.offset.reset": "earliest"})
        c.subscribe(["rb"], on_assign=on_assign, on_revoke=on_revoke)
        while not stop.is_set():
            c.poll(0.1)
        c.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("A", "B")]
    for t in threads:
        t.start()

    def covered(names, total=6):
        with lock:
            sets = [owned.get(n, set()) for n in names]
        return (all(sets) and sum(len(s) for s in sets) == total and
                len(set().union(*sets)) == total)

    check("two members split six partitions",
          until("A and B assigned", lambda: covered(["A", "B"])))
    child = spawn([sys.executable, "-c", CHILD_CONSUMER, b.addr],
                  stdout=subprocess.PIPE)
    child_parts = []

    def read_child():
        for line in child.stdout:
            child_parts.append(line.decode().split())
    threading.Thread(target=read_child, daemon=True).start()

    def three_way():
        if not child_parts or child_parts[-1][0] != "assigned":
            return False
        c = {int(x) for x in child_parts[-1][1:]}
        with lock:
            sa, sb = owned.get("A", set()), owned.get("B", set())
        return c and sa and sb and len(sa | sb | c) == 6 and \
            len(sa) + len(sb) + len(c) == 6
    check("a third member joins: partitions move to it",
          until("three-way split", three_way))
    child.send_signal(signal.SIGKILL)
    child.wait()
    check("the killed member's partitions come back after its session "
          "timeout", until("A and B own all six again",
                           lambda: covered(["A", "B"]), timeout=60))
    stop.set()
    for t in threads:
        t.join()


CHILD_CONSUMER = r"""
import sys
from confluent_kafka import Consumer
def on_assign(c, parts):
    print("assigned", *[p.partition for p in parts], flush=True)
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": "rb",
              "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
c.subscribe(["rb"], on_assign=on_assign)
while True:
    c.poll(0.1)
"""


def test_commits_and_resets(b):
    kp = KafkaProducer(bootstrap_servers=b.addr)
    for i in range(30):
        kp.send("cm", value=b"%d" % i, partition=0)
    kp.flush()
    tp = KTP("cm", 0)

    # commitSync
    c = KafkaConsumer(bootstrap_servers=b.addr, group_id="sync",
                      enable_auto_commit=False, auto_offset_reset="earliest")
    c.assign([tp])
    recs = c.poll(5000, max_records=10).get(tp, [])
    check("reset earliest starts at the log start",
          recs and recs[0].offset == 0, recs[:1])
    c.commit()
    check("commitSync stores the position",
          c.committed(tp) == recs[-1].offset + 1 if recs else False)
    # seek
    c.seek(tp, 20)
    r2 = c.poll(5000, max_records=1).get(tp, [])
    check("seek moves the position", r2 and r2[0].offset == 20)
    c.close()

    # commitAsync with a callback
    c = KafkaConsumer(bootstrap_servers=b.addr, group_id="async",
                      enable_auto_commit=False, auto_offset_reset="earliest")
    c.assign([tp])
    c.poll(5000, max_records=5)
    done = []
    c.commit_async(callback=lambda offsets, resp: done.append(resp))
    until("async commit callback", lambda: (c.poll(100), done)[1])
    check("commitAsync completes without error",
          done and not isinstance(done[0], Exception), done)
    check("commitAsync stored", c.committed(tp) == 5, c.committed(tp))
    c.close()

    # auto commit: committed on close
    c = KafkaConsumer("cm", bootstrap_servers=b.addr, group_id="auto",
                      enable_auto_commit=True, auto_commit_interval_ms=100,
                      auto_offset_reset="earliest", consumer_timeout_ms=3000)
    n = sum(1 for _ in c)
    # Committed by the timer while the consumer is still open (the
    # iteration polls for 3 s after the last record), not only on close.
    admin = KafkaAdminClient(bootstrap_servers=b.addr)
    offs = admin.list_consumer_group_offsets("auto")
    check("auto commit stores what was consumed",
          n == 30 and offs.get(tp) and offs[tp].offset == 30, (n, offs))
    c.close()

    # auto.offset.reset latest: only records produced after joining
    c = KafkaConsumer(bootstrap_servers=b.addr, group_id="latest",
                      auto_offset_reset="latest", enable_auto_commit=False)
    c.assign([tp])
    c.poll(500)
    kp.send("cm", value=b"new", partition=0)
    kp.flush()
    got = []
    until("record after reset latest",
          lambda: got.extend(c.poll(200).get(tp, [])) or got)
    check("reset latest starts at the log end",
          [r.value for r in got] == [b"new"], [r.value for r in got])
    c.close()

    # auto.offset.reset none: an error, never a guess
    c = KafkaConsumer(bootstrap_servers=b.addr, group_id="none",
                      auto_offset_reset="none", enable_auto_commit=False)
    c.assign([tp])
    try:
        c.poll(3000)
        check("reset none raises NoOffsetForPartition", False)
    except NoOffsetForPartitionError:
        check("reset none raises NoOffsetForPartition", True)
    c.close()

    # close leaves the group at once (no session timeout to wait for)
    c = KafkaConsumer("cm", bootstrap_servers=b.addr, group_id="closer",
                      auto_offset_reset="earliest", session_timeout_ms=30000)
    until("closer assigned", lambda: (c.poll(100), c.assignment())[1])
    groups = dict(admin.list_consumer_groups())
    check("list groups shows protocol type consumer",
          groups.get("closer") == "consumer" and "auto" in groups, groups)
    d = admin.describe_consumer_groups(["closer"])[0]
    check("describe: Stable with one member",
          d.state == "Stable" and len(d.members) == 1 and
          d.members[0].member_assignment.assignment[0][0] == "cm", d)
    c.close()
    d = admin.describe_consumer_groups(["closer"])[0]
    check("close leaves the group: Empty at once", d.state == "Empty", d)

    # offsets by timestamp
    c = Consumer({"bootstrap.servers": b.addr, "group.id": "ts"})
    now = int(time.time() * 1000)
    old = c.offsets_for_times([TopicPartition("cm", 0, now - 3600000)],
                              timeout=10)
    new = c.offsets_for_times([TopicPartition("cm", 0, now + 3600000)],
                              timeout=10)
    check("offsets for an old timestamp: the first record",
          old[0].offset == 0, old)
    check("offsets for a future timestamp: none (-1)", new[0].offset == -1,
          new)
    ko = KafkaConsumer(bootstrap_servers=b.addr)
    kt = ko.offsets_for_times({tp: now - 3600000})
    check("kafka-python offsets_for_times", kt[tp].offset == 0, kt)
    check("kafka-python beginning/end offsets",
          ko.beginning_offsets([tp])[tp] == 0 and
          ko.end_offsets([tp])[tp] == 31, ko.end_offsets([tp]))
    ko.close()
    c.close()
    res = c = None
    a = AdminClient({"bootstrap.servers": b.addr})
    lo = a.list_groups(timeout=10)
    check("librdkafka list_groups", any(g.id == "auto" for g in lo))
    cfg = a.describe_configs([ConfigResource("topic", "cm")])
    entries = list(cfg.values())[0].result()
    check("describe topic configs", entries["cleanup.policy"].value == "delete"
          and "retention.ms" in entries, entries)
    for f in a.create_topics([NewTopic("tmp-topic", 3, 1)]).values():
        f.result()
    check("created topic listed",
          len(a.list_topics(timeout=5).topics["tmp-topic"].partitions) == 3)
    err = a.create_topics([NewTopic("tmp-topic", 3, 1)])["tmp-topic"]
    try:
        err.result()
        check("second create refused", False)
    except Exception as e:
        check("second create refused", "TOPIC_ALREADY_EXISTS" in str(e), e)
    for f in a.delete_topics(["tmp-topic"]).values():
        f.result()
    check("deleted topic gone",
          "tmp-topic" not in a.list_topics(timeout=5).topics)
    admin.create_topics([KNewTopic("kp-topic", 2, 1)])
    check("kafka-python create", "kp-topic" in admin.list_topics())
    admin.delete_topics(["kp-topic"])
    check("kafka-python delete", "kp-topic" not in admin.list_topics())
    admin.close()
    kp.close()


def test_crash(data_dir):
    port = free_port()
    b = Broker(data_dir, port)
    acked = []
    errors = []

    def dr(err, msg):
        if err:
            errors.append(err)
        else:
            acked.append(int(msg.value()))
    p = Producer({"bootstrap.servers": b.addr, "acks": "all",
                  "linger.ms": 1, "message.timeout.ms": 4000,
                  "partitioner": "murmur2_random"})
    i = 0
    while len(acked) < 20000 and i < 2000000:
        try:
            p.produce("crash", key=b"%d" % (i % 97), value=b"%d" % i,
                      on_delivery=dr)
            i += 1
        except BufferError:
            p.poll(0.01)
        p.poll(0)
    b.stop(signal.SIGKILL)
    p.flush(10)  # the rest fail: nothing is retried into a new broker
    p = None
    b = Broker(data_dir, port)
    seen = [int(v) for v in consume_values(b.addr, "crash", "crash-check")]
    b.stop()
    check("every acknowledged record survives kill -9",
          set(acked) <= set(seen), len(set(acked) - set(seen)))
    check("no record duplicated", len(seen) == len(set(seen)),
          len(seen) - len(set(seen)))
    check("acks were received before the kill", len(acked) >= 20000,
          len(acked))


def read_frame(sock):
    """One size-prefixed Kafka frame (without its size) or None at EOF."""
    def exact(n):
        buf = b""
        while len(buf) < n:
            try:
                chunk = sock.recv(n - len(buf))
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
        return buf
    head = exact(4)
    if head is None:
        return None
    return exact(struct.unpack(">i", head)[0])


class DropProxy:
    """A TCP proxy in front of a broker that swallows the answer to the
    `nth` Produce request and closes that connection, as a network that
    fails after the broker appended: the client never hears the ack and
    sends the batch again on a new connection (after on_drop, if given,
    has run: a test can restart the broker in between)."""

    def __init__(self, target_port, nth, on_drop=None):
        self.target, self.nth, self.on_drop = target_port, nth, on_drop
        self.produces = 0
        self.dropped = threading.Event()
        self.lock = threading.Lock()
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            try:
                s = socket.create_connection(("127.0.0.1", self.target))
            except OSError:
                c.close()
                continue
            drop = set()
            threading.Thread(target=self.up, args=(c, s, drop),
                             daemon=True).start()
            threading.Thread(target=self.down, args=(s, c, drop),
                             daemon=True).start()

    def up(self, c, s, drop):
        while True:
            f = read_frame(c)
            if f is None:
                break
            api, corr = struct.unpack(">h", f[:2])[0], f[4:8]
            if api == 0:
                with self.lock:
                    self.produces += 1
                    if self.produces == self.nth:
                        drop.add(corr)
            try:
                s.sendall(struct.pack(">i", len(f)) + f)
            except OSError:
                break
        s.close()

    def down(self, s, c, drop):
        while True:
            f = read_frame(s)
            if f is None:
                break
            if f[:4] in drop:
                if self.on_drop:  # before the client can reconnect
                    self.on_drop()
                self.dropped.set()
                break
            try:
                c.sendall(struct.pack(">i", len(f)) + f)
            except OSError:
                break
        for x in (c, s):
            try:
                x.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            x.close()

    def close(self):
        self.ls.close()


def consume_values(addr, topic, group):
    """Every value of `topic` from the beginning, until each partition's
    end."""
    c = Consumer({"bootstrap.servers": addr, "group.id": group,
                  "auto.offset.reset": "earliest",
                  "enable.partition.eof": True})
    parts = len(AdminClient({"bootstrap.servers": addr})
                .list_topics(topic, timeout=10).topics[topic].partitions)
    c.subscribe([topic])
    seen, eof = [], set()
    end = time.time() + 60
    while len(eof) < parts and time.time() < end:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                eof.add(m.partition())
            continue
        seen.append(m.value())
    c.close()
    return seen


def test_idempotence(data_dir):
    """enable.idempotence: InitProducerId, then a batch whose answer is
    lost is sent again with the same producer id, epoch and sequence and
    must not be appended twice."""
    port = free_port()
    proxy = DropProxy(port, 3)
    b = Broker(data_dir, port, "--advertised", "127.0.0.1:%d" % proxy.port)
    errors, acked = [], []
    p = Producer({"bootstrap.servers": "127.0.0.1:%d" % proxy.port,
                  "enable.idempotence": True, "linger.ms": 5,
                  "batch.num.messages": 100, "message.timeout.ms": 30000})
    n = 2000
    for i in range(n):
        p.produce("idem", value=b"%d" % i,
                  on_delivery=lambda e, m: (errors if e else acked).append(
                      e or int(m.value())))
        p.poll(0)
    p.flush(60)
    check("idempotent producer: the answer of a Produce was lost",
          proxy.dropped.is_set(), proxy.produces)
    check("idempotent producer: every record acknowledged",
          len(acked) == n and not errors, (len(acked), errors[:3]))
    seen = consume_values(b.addr, "idem", "idem-check")
    check("idempotent producer: the retried batch is stored once",
          len(seen) == n and len(set(seen)) == n,
          (len(seen), len(set(seen))))
    proxy.close()
    b.stop()


def test_idempotent_restart(data_dir):
    """enable.idempotence across kill -9: while the producer sends, the
    broker is killed twice and comes back on the same port and data dir
    each time, and the producer carries on, resending what was not
    acknowledged with its producer id, epoch and sequences. The first
    kill comes right after a Produce was stored and its answer lost (the
    proxy drops it), so that batch is certainly resent to the restarted
    broker; the second lands wherever the stream is. The restarted broker
    rebuilds producer state from its log: a resent batch stored before
    the kill is acknowledged, not stored again."""
    port = free_port()
    state = {}
    adv = []
    asked, restarted = threading.Event(), threading.Event()

    def restart():
        state["b"].stop(signal.SIGKILL)
        state["b"] = Broker(data_dir, port, *adv)
        state["kills"] += 1

    def on_drop():  # on a proxy thread: the main thread restarts
        asked.set()
        restarted.wait(60)
    proxy = DropProxy(port, 20, on_drop=on_drop)
    adv += ["--advertised", "127.0.0.1:%d" % proxy.port]
    state["b"], state["kills"] = Broker(data_dir, port, *adv), 0
    acked, errors = [], []

    def dr(err, msg):
        if err:
            errors.append(err)
        else:
            acked.append(int(msg.value()))
    p = Producer({"bootstrap.servers": "127.0.0.1:%d" % proxy.port,
                  "enable.idempotence": True, "linger.ms": 5,
                  "batch.num.messages": 200,
                  "queue.buffering.max.messages": 5000,
                  "message.timeout.ms": 120000})
    n, i, end = 40000, 0, time.time() + 120
    while (i < n or (state["kills"] < 2 and len(acked) < n)) and \
            time.time() < end:
        if i < n:
            try:
                p.produce("idem-restart", value=b"%d" % i, on_delivery=dr)
                i += 1
            except BufferError:
                p.poll(0.005)
        p.poll(0 if i < n else 0.01)
        if asked.is_set() and not restarted.is_set():
            restart()
            restarted.set()
        if state["kills"] == 1 and len(acked) >= n // 2:
            restart()
    p.flush(120)
    b = state["b"]
    check("idempotent restart: a stored batch's answer was lost at a kill",
          proxy.dropped.is_set(), proxy.produces)
    check("idempotent restart: the broker was killed twice mid-stream",
          state["kills"] == 2, state["kills"])
    check("idempotent restart: every record acknowledged",
          len(acked) == n and not errors, (len(acked), errors[:3]))
    seen = [int(v) for v in consume_values(b.addr, "idem-restart",
                                           "idem-restart-check")]
    proxy.close()
    b.stop()
    check("idempotent restart: every acknowledged record is stored",
          set(acked) <= set(seen), len(set(acked) - set(seen)))
    check("idempotent restart: no record stored twice",
          len(seen) == len(set(seen)), len(seen) - len(set(seen)))


def test_group_reload(data_dir):
    """The coordinator reloads groups from __consumer_offsets on start: a
    member that lives through a broker restart carries on in its
    generation (same member id, no rebalance), DescribeGroups and
    ListGroups show the group, and after kill -9 a new consumer of the
    group resumes at the committed offsets."""
    port = free_port()
    b = Broker(data_dir, port)
    a = AdminClient({"bootstrap.servers": b.addr})
    for f in a.create_topics([NewTopic("rl", 2, 1)]).values():
        f.result()
    p = Producer({"bootstrap.servers": b.addr})
    for i in range(100):
        p.produce("rl", key=b"%d" % i, value=b"%d" % i)
    p.flush(10)
    c1 = Consumer({"bootstrap.servers": b.addr, "group.id": "rl",
                   "auto.offset.reset": "earliest",
                   "enable.auto.commit": False, "session.timeout.ms": 30000,
                   "heartbeat.interval.ms": 300})
    assigned = []
    c1.subscribe(["rl"], on_assign=lambda c, ps: assigned.append(len(ps)))
    got = []

    def consume_until(k):
        def step():
            m = c1.poll(0.1)
            if m is not None and not m.error():
                got.append(int(m.value()))
            return len(got) >= k
        return step
    until("50 records", consume_until(50))
    c1.commit(asynchronous=False)
    admin = KafkaAdminClient(bootstrap_servers=b.addr)
    before = admin.describe_consumer_groups(["rl"])[0]
    admin.close()
    b.stop()
    b = Broker(data_dir, port)
    admin = KafkaAdminClient(bootstrap_servers=b.addr)
    after = admin.describe_consumer_groups(["rl"])[0]
    ids = [m.member_id for m in before.members]
    check("restart: DescribeGroups shows the group's member and assignment",
          before.state == "Stable" and after.state == "Stable" and
          [m.member_id for m in after.members] == ids and
          after.members[0].member_assignment.assignment ==
          before.members[0].member_assignment.assignment,
          (before.state, after.state, ids,
           [m.member_id for m in after.members]))
    check("restart: ListGroups shows the group",
          "rl" in dict(admin.list_consumer_groups()))
    until("the other 50 records", consume_until(100))
    check("restart: the member carries on without a rebalance",
          sorted(got) == list(range(100)) and assigned == [2],
          (len(got), assigned))
    c1.commit(asynchronous=False)
    again = admin.describe_consumer_groups(["rl"])[0]
    check("restart: still the same member after heartbeats",
          [m.member_id for m in again.members] == ids, again)
    c1.close()
    admin.close()
    for i in range(100, 120):
        p.produce("rl", key=b"%d" % i, value=b"%d" % i)
    p.flush(10)
    b.stop(signal.SIGKILL)
    b = Broker(data_dir, port)
    admin = KafkaAdminClient(bootstrap_servers=b.addr)
    check("kill -9: the group is listed, Empty",
          "rl" in dict(admin.list_consumer_groups()) and
          admin.describe_consumer_groups(["rl"])[0].state == "Empty")
    admin.close()
    rest = sorted(int(v) for v in consume_values(b.addr, "rl", "rl"))
    check("kill -9: a new consumer resumes at the committed offsets",
          rest == list(range(100, 120)), rest[:5])
    b.stop()


def test_compression(b):
    """Batches in a codec the broker does not implement get
    UNSUPPORTED_COMPRESSION_TYPE (76) and are not stored; the broker
    keeps serving. librdkafka 2.0.2 compresses with zstd against these
    Produce/Fetch versions; for gzip, snappy and lz4 it finds the broker
    lacking the old versions it ties them to and sends uncompressed."""
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        res = []
        p = Producer({"bootstrap.servers": b.addr, "compression.type": codec,
                      "linger.ms": 5, "message.timeout.ms": 20000})
        for _ in range(50):
            p.produce("comp-" + codec, value=b"compressible " * 80,
                      on_delivery=lambda e, m: res.append(e))
        p.flush(30)
        codes = {e.code() if e else 0 for e in res}
        if codec == "zstd":
            check("zstd batch: the client sees UNSUPPORTED_COMPRESSION_TYPE",
                  len(res) == 50 and
                  codes == {KafkaError.UNSUPPORTED_COMPRESSION_TYPE}, codes)
            c = Consumer({"bootstrap.servers": b.addr, "group.id": "cz"})
            lo, hi = c.get_watermark_offsets(TopicPartition("comp-zstd", 0),
                                             timeout=10)
            c.close()
            check("zstd batch: nothing stored", (lo, hi) == (0, 0), (lo, hi))
        else:
            check("%s: sent uncompressed and stored" % codec,
                  len(res) == 50 and codes == {0}, codes)
    # kafka-python compresses gzip itself, whatever the versions.
    kp = KafkaProducer(bootstrap_servers=b.addr, compression_type="gzip",
                       retries=0)
    try:
        kp.send("comp-kp", value=b"compressible " * 80).get(10)
        check("kafka-python gzip batch refused", False)
    except Exception as e:  # UnknownError: 2.0.2 has no class for 76
        check("kafka-python gzip batch refused",
              "UnknownError" in type(e).__name__ or "76" in str(e), repr(e))
    kp.close()
    c = Consumer({"bootstrap.servers": b.addr, "group.id": "cz"})
    lo, hi = c.get_watermark_offsets(TopicPartition("comp-kp", 0), timeout=10)
    c.close()
    check("kafka-python gzip: nothing stored", hi == 0, (lo, hi))
    ok = []
    p = Producer({"bootstrap.servers": b.addr})
    p.produce("comp-zstd", value=b"plain", on_delivery=lambda e, m: ok.append(e))
    p.flush(10)
    check("the broker serves on after refused batches", ok == [None], ok)


def rdkafka_c():
    """librdkafka's C API (Debian's librdkafka.so.1, the one
    confluent-kafka binds), for what the Python binding does not expose."""
    lib = ctypes.CDLL("librdkafka.so.1")
    vp, cp = ctypes.c_void_p, ctypes.c_char_p
    for name, res, args in (
            ("rd_kafka_conf_new", vp, []),
            ("rd_kafka_conf_set", ctypes.c_int,
             [vp, cp, cp, cp, ctypes.c_size_t]),
            ("rd_kafka_new", vp, [ctypes.c_int, vp, cp, ctypes.c_size_t]),
            ("rd_kafka_poll_set_consumer", ctypes.c_int, [vp]),
            ("rd_kafka_queue_get_consumer", vp, [vp]),
            ("rd_kafka_queue_yield", None, [vp]),
            ("rd_kafka_queue_destroy", None, [vp]),
            ("rd_kafka_consumer_poll", vp, [vp, ctypes.c_int]),
            ("rd_kafka_message_destroy", None, [vp]),
            ("rd_kafka_topic_partition_list_new", vp, [ctypes.c_int]),
            ("rd_kafka_topic_partition_list_add", vp,
             [vp, cp, ctypes.c_int32]),
            ("rd_kafka_topic_partition_list_destroy", None, [vp]),
            ("rd_kafka_subscribe", ctypes.c_int, [vp, vp]),
            ("rd_kafka_consumer_close", ctypes.c_int, [vp]),
            ("rd_kafka_destroy", None, [vp])):
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


def test_wakeup(b):
    """wakeup: a consumer blocked in poll (timeout 60 s, nothing to read)
    is woken from another thread (rd_kafka_queue_yield on its queue, what
    Java's wakeup() is to KafkaConsumer.poll) and returns without a
    record; then close leaves the group at once."""
    a = AdminClient({"bootstrap.servers": b.addr})
    for f in a.create_topics([NewTopic("wk", 1, 1)]).values():
        f.result()
    lib = rdkafka_c()
    err = ctypes.create_string_buffer(512)
    conf = lib.rd_kafka_conf_new()
    for k, v in (("bootstrap.servers", b.addr), ("group.id", "wk"),
                 ("session.timeout.ms", "30000")):
        lib.rd_kafka_conf_set(conf, k.encode(), v.encode(), err, 512)
    rk = lib.rd_kafka_new(1, conf, err, 512)
    lib.rd_kafka_poll_set_consumer(rk)
    tl = lib.rd_kafka_topic_partition_list_new(1)
    lib.rd_kafka_topic_partition_list_add(tl, b"wk", -1)
    lib.rd_kafka_subscribe(rk, tl)
    lib.rd_kafka_topic_partition_list_destroy(tl)
    admin = KafkaAdminClient(bootstrap_servers=b.addr)

    def stable():
        m = lib.rd_kafka_consumer_poll(rk, 100)
        if m:
            lib.rd_kafka_message_destroy(m)
        d = admin.describe_consumer_groups(["wk"])[0]
        return d.state == "Stable" and len(d.members) == 1
    check("wakeup: the consumer joined", until("wk joined", stable))
    out = []
    polling = threading.Event()

    def blocked_poll():
        polling.set()
        out.append(lib.rd_kafka_consumer_poll(rk, 60000))
    t = threading.Thread(target=blocked_poll)
    t.start()
    polling.wait(10)
    q = lib.rd_kafka_queue_get_consumer(rk)
    lib.rd_kafka_queue_yield(q)
    lib.rd_kafka_queue_destroy(q)
    t.join(30)  # poll's own timeout is 60 s: only the wakeup ends it here
    check("wakeup: the blocked poll returns, without a record",
          not t.is_alive() and out == [None], out)
    if t.is_alive():
        t.join()
    lib.rd_kafka_consumer_close(rk)
    d = admin.describe_consumer_groups(["wk"])[0]
    check("wakeup then close: the member left, the group is Empty",
          d.state == "Empty" and not d.members, d)
    lib.rd_kafka_destroy(rk)
    admin.close()

class RawConn:
    """One connection speaking Kafka's framing by hand, for requests whose
    fields the clients do not let a test choose."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.s = socket.create_connection((host, int(port)))
        self.corr = 0

    def request(self, api, ver, body):
        self.corr += 1
        head = struct.pack(">hhih", api, ver, self.corr, 4) + b"test"
        self.s.sendall(struct.pack(">i", len(head) + len(body)) + head + body)

    def response(self):
        f = read_frame(self.s)
        assert f is not None and struct.unpack(">i", f[:4])[0] == self.corr
        return f[4:]

    def close(self):
        self.s.close()


def kstr(s):
    return struct.pack(">h", len(s)) + s.encode()


def fetch_v4(conn, topic, offset, max_wait, min_bytes, max_bytes, part_max):
    """Sends Fetch v4 for partition 0 of `topic`."""
    body = struct.pack(">iiiib", -1, max_wait, min_bytes, max_bytes, 0)
    body += struct.pack(">i", 1) + kstr(topic) + struct.pack(">i", 1)
    body += struct.pack(">iqi", 0, offset, part_max)
    conn.request(1, 4, body)


def fetch_v4_records(resp):
    """(error, high watermark, record bytes) of the only partition."""
    pos = 4 + 4  # throttle, topic count
    tl = struct.unpack(">h", resp[pos:pos + 2])[0]
    pos += 2 + tl + 4  # topic name, partition count
    _, err, hw, _, na = struct.unpack(">ihqqi", resp[pos:pos + 26])
    pos += 26 + max(na, 0) * 16
    n = struct.unpack(">i", resp[pos:pos + 4])[0]
    return err, hw, resp[pos + 4:pos + 4 + max(n, 0)]


def batch_count(records):
    """Number of whole v2 batches in a fetched record set."""
    n, pos = 0, 0
    while pos + 12 <= len(records):
        size = 12 + struct.unpack(">i", records[pos + 8:pos + 12])[0]
        if pos + size > len(records):
            break
        n, pos = n + 1, pos + size
    return n


def test_fetch_waits_and_limits(b):
    """Fetch over the wire: a long poll (max.wait.ms, min.bytes) is
    answered when enough bytes arrive, not before; its deadline answers
    with nothing; max.bytes and the partition's max bytes return whole
    batches, at least one (KIP-74). Produce: a batch over message.max.bytes
    gets MESSAGE_TOO_LARGE; topic names and partition counts are validated
    as Kafka does."""
    a = AdminClient({"bootstrap.servers": b.addr})
    for f in a.create_topics([NewTopic("lp", 1, 1)]).values():
        f.result()
    p = Producer({"bootstrap.servers": b.addr, "linger.ms": 0})

    def produce(value, k=1):
        for _ in range(k):
            p.produce("lp", value=value, partition=0)
            p.flush(10)  # one batch each
    conn = RawConn(b.addr)
    fetch_v4(conn, "lp", 0, 60000, 3000, 1 << 20, 1 << 20)
    produce(b"x" * 100)  # 1 batch, under min.bytes: the fetch keeps waiting
    conn.s.settimeout(1.5)
    try:
        early = read_frame(conn.s)
    except socket.timeout:
        early = None
    check("long poll: under min.bytes the fetch is not answered", early is None,
          early and len(early))
    conn.s.settimeout(30)
    produce(b"y" * 1000, 3)  # now over min.bytes: answered at once
    err, hw, recs = fetch_v4_records(conn.response())
    check("long poll: answered once min.bytes is there, with every batch",
          err == 0 and hw == 4 and batch_count(recs) == 4,
          (err, hw, batch_count(recs)))
    fetch_v4(conn, "lp", 4, 300, 1, 1 << 20, 1 << 20)
    err, hw, recs = fetch_v4_records(conn.response())
    check("long poll: the max.wait.ms deadline answers with nothing",
          err == 0 and recs == b"", (err, len(recs)))
    fetch_v4(conn, "lp", 0, 0, 1, 10, 1 << 20)
    err, hw, recs = fetch_v4_records(conn.response())
    check("max.bytes 10: exactly the first whole batch", batch_count(recs) == 1
          and len(recs) > 10, (batch_count(recs), len(recs)))
    fetch_v4(conn, "lp", 0, 0, 1, 1 << 20, 1200)
    err, hw, recs = fetch_v4_records(conn.response())
    check("partition max bytes 1200: whole batches within it",
          batch_count(recs) == 1 and len(recs) <= 1200, len(recs))
    conn.close()
    big = Producer({"bootstrap.servers": b.addr,
                    "message.max.bytes": 3000000, "batch.size": 3000000})
    res = []
    big.produce("lp", value=b"z" * 2000000, partition=0,
                on_delivery=lambda e, m: res.append(e))
    big.flush(20)
    check("a batch over message.max.bytes gets MESSAGE_TOO_LARGE",
          len(res) == 1 and res[0] is not None and
          res[0].code() == KafkaError.MSG_SIZE_TOO_LARGE, res)
    bad = a.create_topics([NewTopic("bad/name", 1, 1), NewTopic("n" * 250, 1, 1),
                           NewTopic("zero", 0, 1)])
    errs = {}
    for t, f in bad.items():
        try:
            f.result()
            errs[t] = "created"
        except Exception as e:
            errs[t] = e.args[0].name() if e.args else repr(e)
    # librdkafka names error 17 (InvalidTopicException) TOPIC_EXCEPTION.
    check("invalid topic names and partition counts are refused",
          errs == {"bad/name": "TOPIC_EXCEPTION",
                   "n" * 250: "TOPIC_EXCEPTION",
                   "zero": "INVALID_PARTITIONS"}, errs)

def main():
    # An optional third argument names the tests to run (comma separated).
    only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None

    def want(name):
        return only is None or name in only
    shared = ["key_partitioning", "compression", "wakeup",
              "fetch_waits_and_limits", "commits_and_resets", "rebalance"]
    if any(want(t) for t in shared):
        b = Broker(os.path.join(WORK, "data"), free_port(),
                   "--num-partitions", "1")
        try:
            for t in shared:
                if want(t):
                    globals()["test_" + t](b)
        finally:
            check("broker stops cleanly", b.stop() == 0)
    for t, d in [("idempotence", "idem"),
                 ("idempotent_restart", "idem-restart"),
                 ("group_reload", "reload"), ("crash", "crash")]:
        if want(t):
            globals()["test_" + t](os.path.join(WORK, d))


if sys.argv[3:] == ["hold"]:
    hb = Broker(os.path.join(WORK, "hold"), free_port())
    print(hb.proc.pid, flush=True)
    while True:
        time.sleep(60)
try:
    main()
except Exception as e:  # a crash in a check is a failure, with its cause
    import traceback
    traceback.print_exc()
    failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
