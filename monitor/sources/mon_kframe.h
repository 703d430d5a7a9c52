/* SPDX-License-Identifier: Apache-2.0 */
/* mon_kframe: the protocol between warren and the child process that runs
 * a Kafka cluster's librdkafka client (mon_source_kafka_proc.h).
 *
 * Built on the assumption that the child may die at any byte (librdkafka
 * aborts the process on some broker failures): every frame is
 * self-delimiting and checked on arrival, a frame cut short by the death
 * of its writer is simply never delivered, and nothing a frame says can
 * make the reader allocate more than MON_KFRAME_MAX bytes.
 *
 * Transport: a SOCK_STREAM socketpair, the child's end as its fd 3. Each
 * frame, little-endian:
 *
 *   OFFSET SIZE DESCRIPTION
 *   0      4    length L of what follows (1 .. MON_KFRAME_MAX)
 *   4      1    type (below)
 *   5      L-1  payload, as the type says
 *
 * Payload fields, in order: u8, i32, i64 (little-endian); str = u16 byte
 * length N, N bytes, then a NUL byte (so a decoded string points into the
 * frame); nstr = a u8 flag (0 = NULL, 1 = a str follows).
 *
 *   parent -> child
 *   1  CONFIG     the cluster to watch (mon_source_kafka_proc.c lists
 *                 its fields); the first frame, exactly once
 *   2  LOGLEVEL   u8 mon_log_level_t (the level changed at run time)
 *   child -> parent
 *   8  READY      empty: the client is built and starts
 *   9  FATAL      str why: the client cannot be built (a bad kafka.*
 *                 property); the child exits 2
 *   10 HEAD       str topic, i32 partition, i32 partitions, i64 offset,
 *                 i64 t_ms                          (mon_store_head)
 *   11 COMMIT     str group, str topic, i32 partition, i64 offset,
 *                 i64 t_ms, nstr owner, nstr client_id, place, u8
 *                 if_changed                        (mon_store_commit_at)
 *   12 SEEN       str group, i64 t_ms               (mon_store_group_seen)
 *   13 DEL_TOPIC  str topic                         (mon_store_delete_topic)
 *   14 DEL_GROUP  str group, place           (mon_store_delete_group_at)
 *   15 DEL_GTOPIC str group, str topic, place (mon_store_delete_group_at)
 *   16 STATUS     the source's status (mon_source_kafka_status_t, field
 *                 by field in declaration order: bools as u8, integers
 *                 as i64, last_error as str)
 *   17 ADVANCE    place                             (mon_store_advance)
 *   18 STAMP      str group, str topic, i32 partition, i64 offset, i64
 *                 t_ms (the timestamp of the record at offset, where
 *                 the group is committed)           (mon_store_stamp)
 *   19 LOG_START  str topic, i32 partition, i64 offset, i64 t_ms (the
 *                 earliest offset, ListOffsets earliest)
 *                                                   (mon_store_log_start)
 *   20 TOPIC_CONF str topic, i64 retention.ms, i64 retention.bytes (-1
 *                 unlimited, DescribeConfigs)  (mon_store_topic_config)
 *   21 MEMBERS    str group, place, i64 t_ms, str state, str protocol_type,
 *                 str protocol, i32 generation (-1 unknown), u32 member
 *                 count M, M times {str member_id, str instance_id, str
 *                 client_id, str host, u32 count A, A times {str topic,
 *                 i32 partition}}                (mon_store_members_at)
 *
 * A place is i32 log partition (-1: none, then the i64 is ignored) and
 * i64 offset of the __consumer_offsets record the write comes from
 * (mon_store.h: a record is applied once, whoever sends it again).
 *
 * The store writes (10..15, 17..21) are sent only when the child's own store (a
 * mirror of one interval, which gives the same outcomes) took them, in
 * the order the source made them. An unknown type, a length out of range
 * or a payload that does not match its type ends the connection.
 */
#ifndef MON_KFRAME_H
#define MON_KFRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "monitor/base/mon_codec.h"
#include "monitor/store/mon_store.h"

/* Largest frame (length field): far above any status or store write; a
 * CONFIG frame with every group and property fits too. */
#define MON_KFRAME_MAX (16u << 20)

typedef enum mon_kframe_type_e {
    MON_KFRAME_CONFIG = 1,
    MON_KFRAME_LOGLEVEL = 2,
    MON_KFRAME_READY = 8,
    MON_KFRAME_FATAL = 9,
    MON_KFRAME_HEAD = 10,
    MON_KFRAME_COMMIT = 11,
    MON_KFRAME_SEEN = 12,
    MON_KFRAME_DEL_TOPIC = 13,
    MON_KFRAME_DEL_GROUP = 14,
    MON_KFRAME_DEL_GTOPIC = 15,
    MON_KFRAME_STATUS = 16,
    MON_KFRAME_ADVANCE = 17,
    MON_KFRAME_STAMP = 18,
    MON_KFRAME_LOG_START = 19,
    MON_KFRAME_TOPIC_CONF = 20,
    MON_KFRAME_MEMBERS = 21
} mon_kframe_type_t;

/* One store write (types HEAD .. DEL_GTOPIC, ADVANCE .. MEMBERS); the fields
 * its type does not use are ignored. owner and client_id NULL keep the current
 * ones. */
typedef struct mon_kframe_op_s {
    mon_kframe_type_t type;
    const char *group;
    const char *topic;
    int32_t partition;
    int32_t partitions;
    int64_t offset;
    int64_t t_ms;
    const char *owner;
    const char *client_id;
    bool placed;           /* the write comes from a record of the log: */
    mon_store_pos_t place; /* its place */
    bool if_changed;       /* commit: only when the offset changed */
    int64_t retention_ms;  /* TOPIC_CONF */
    int64_t retention_bytes;
    const mon_group_members_t *members; /* MEMBERS (t_ms is its own) */
    /* decoded MEMBERS: the arrays, freed by mon_kframe_op_clear */
    mon_group_members_t members_;
    void *alloc_;
} mon_kframe_op_t;

/* Applies op to cluster `cl` of store `st` (the store call its type
 * names). Returns that call's result: a mon_store_outcome_t for heads
 * and commits, 0 or MON_ERR_NOTFOUND for the others. */
int mon_kframe_op_apply(mon_store_t *st, mon_store_cluster_t *cl,
                        const mon_kframe_op_t *op);

/* Appends op's payload (its type's fields) to b. */
void mon_kframe_op_encode(mon_wbuf_t *b, const mon_kframe_op_t *op);

/* Decodes the payload p[0..len) of a frame of `type` into *op, whose
 * strings point into p (a MEMBERS frame's arrays are allocated: free
 * them with mon_kframe_op_clear, on failure too). Returns 0, or -1 with
 * errstr ("kafka client frame TYPE: byte N: why"). */
int mon_kframe_op_decode(int type, const void *p, size_t len,
                         mon_kframe_op_t *op, char *errstr, size_t errstr_size);

/* Frees what mon_kframe_op_decode allocated; a zeroed op is fine. */
void mon_kframe_op_clear(mon_kframe_op_t *op);

/* Payload field helpers for the other frame types (CONFIG, STATUS). */
void mon_kframe_put_str(mon_wbuf_t *b, const char *s);
void mon_kframe_put_nstr(mon_wbuf_t *b, const char *s);
void mon_kframe_put_i64(mon_wbuf_t *b, int64_t v);
/* Readers: 0, or -1 with the failure recorded in r (mon_rbuf_fail). A
 * string points into the buffer and is NUL-terminated. */
int mon_kframe_get_str(mon_rbuf_t *r, const char **s, const char *what);
int mon_kframe_get_nstr(mon_rbuf_t *r, const char **s, const char *what);

/* Writes one frame (type, payload) to fd, whole: blocks until written,
 * retrying short writes and EINTR. Not thread-safe per fd: callers
 * serialise. Returns 0, or -1 with errstr (the peer is gone). */
int mon_kframe_send(int fd, int type, const void *payload, size_t len,
                    char *errstr, size_t errstr_size);

/* A buffered frame reader over one fd. Zero-initialise; free with
 * mon_kframe_reader_free. */
typedef struct mon_kframe_reader_s {
    unsigned char *buf;
    size_t len, cap, pos;
} mon_kframe_reader_t;

/* Waits up to timeout_ms for the next frame. Returns 1 with *type,
 * *payload (valid until the next call) and *len set; 0 on timeout; -1
 * when the peer closed (errstr "closed") or sent a bad frame (errstr
 * why). */
int mon_kframe_recv(mon_kframe_reader_t *rd, int fd, int timeout_ms, int *type,
                    const unsigned char **payload, size_t *len, char *errstr,
                    size_t errstr_size);

void mon_kframe_reader_free(mon_kframe_reader_t *rd);

/* Name of a frame type ("HEAD", ...; "?" when unknown). */
const char *mon_kframe_type_name(int type);

#endif
