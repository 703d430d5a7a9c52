/* SPDX-License-Identifier: Apache-2.0 */
/* bc_topic: topic names, topic configuration and its file in the data dir.
 *
 * Names follow Kafka: 1..249 characters from [a-zA-Z0-9._-], not "." or
 * "..". A topic's configuration lives in `<data-dir>/topics/<topic>`, a
 * text file rewritten atomically (temp, fsync, rename, fsync dir) whose
 * presence is the commit point of topic creation:
 *
 *   LINE                          DESCRIPTION
 *   # ...                         comments and blank lines are ignored
 *   version=0                     format version (required, first key)
 *   topic=<name>                  must match the file name
 *   topic.id=<22 chars>           topic UUID, URL-safe base64, no padding
 *   partitions=<n>                1..100000
 *   <kafka config key>=<value>    any key of bc_topic_config_set
 *
 * Each partition directory also gets Kafka's `partition.metadata`:
 * "version: 0\ntopic_id: <id>\n". Functions here are pure or touch only
 * the files named; thread-safe.
 */
#ifndef BC_TOPIC_H
#define BC_TOPIC_H

#include <stddef.h>
#include <stdint.h>

#include "broker-core/bc_log.h"

#define BC_TOPIC_NAME_MAX 249
#define BC_TOPIC_MAX_PARTITIONS 100000

typedef struct bc_topic_config_s {
    int32_t partitions;
    char topic_id[23]; /* NUL-terminated */
    bc_log_config_t log;
} bc_topic_config_t;

/* 0 if Kafka would accept `name` as a topic name, else BC_ERR_INVALID
 * with the reason in errstr. */
int bc_topic_name_valid(const char *name, char *errstr, size_t errstr_size);

/* Sets one configuration key by its Kafka name (segment.bytes,
 * segment.ms, segment.index.bytes, index.interval.bytes,
 * max.message.bytes, cleanup.policy, retention.bytes, retention.ms,
 * min.cleanable.dirty.ratio, delete.retention.ms, min.compaction.lag.ms,
 * flush.messages, flush.ms) or warren.durable (true|false). Returns 0, or
 * BC_ERR_INVALID naming the key and why (unknown key, not a number, out
 * of range); cfg is unchanged then. */
int bc_topic_config_set(bc_log_config_t *cfg, const char *key,
                        const char *value, char *errstr, size_t errstr_size);

/* Same with "key=value". */
int bc_topic_config_set_kv(bc_log_config_t *cfg, const char *kv, char *errstr,
                           size_t errstr_size);

/* Writes `<data_dir>/topics/<name>` atomically. 0 or BC_ERR_IO. */
int bc_topic_save(const char *data_dir, const char *name,
                  const bc_topic_config_t *tc, char *errstr,
                  size_t errstr_size);

/* Reads `<data_dir>/topics/<name>`; defaults for keys not in the file.
 * Returns 0, BC_ERR_NOT_FOUND, BC_ERR_IO, or BC_ERR_CORRUPT with
 * "file:line: reason". */
int bc_topic_load(const char *data_dir, const char *name, bc_topic_config_t *tc,
                  char *errstr, size_t errstr_size);

/* A fresh topic id (16 random bytes from /dev/urandom, URL-safe base64
 * without padding) into out[23]. */
void bc_topic_new_id(char out[23]);

/* Writes `<partition_dir>/partition.metadata` atomically. 0 or BC_ERR_IO. */
int bc_topic_write_partition_metadata(const char *partition_dir,
                                      const char *topic_id, char *errstr,
                                      size_t errstr_size);

/* Splits a partition directory name "<topic>-<n>" at its last '-'.
 * Returns 0 (topic copied into buf) or -1 if it is not one. */
int bc_topic_parse_partition_dir(const char *name, char *topic,
                                 size_t topic_size, int32_t *partition);

#endif
