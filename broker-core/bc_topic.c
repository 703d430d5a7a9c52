/* SPDX-License-Identifier: Apache-2.0 */
/* bc_topic: see bc_topic.h. Numbers are parsed strictly (the whole value
 * must be a number in range); the file parser reports file:line. */
#include "broker-core/bc_topic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-core/bc_err.h"
#include "broker-core/bc_fs.h"
#include "broker-core/bc_mem.h"

int bc_topic_name_valid(const char *name, char *errstr, size_t errstr_size) {
    size_t n = strlen(name);
    if (n == 0)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "topic name is empty");
    if (n > BC_TOPIC_NAME_MAX)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "topic name is %zu characters, the limit is %d", n,
                          BC_TOPIC_NAME_MAX);
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "topic name cannot be '%s'", name);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "topic name '%s' has an illegal character at "
                              "position %zu (allowed: a-z A-Z 0-9 . _ -)",
                              name, i);
    }
    return 0;
}

static int parse_i64(const char *s, int64_t *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end != '\0') return -1;
    *out = v;
    return 0;
}

typedef struct cfg_key_s {
    const char *name;
    size_t off; /* offset of the field in bc_log_config_t */
    int is32;
    int64_t min;
    int64_t max;
} cfg_key_t;

#define F64(f) offsetof(bc_log_config_t, f), 0
#define F32(f) offsetof(bc_log_config_t, f), 1

static const cfg_key_t keys[] = {
    {"segment.bytes", F64(segment_bytes), 14, INT32_MAX},
    {"segment.ms", F64(segment_ms), 1, INT64_MAX},
    {"segment.index.bytes", F32(segment_index_bytes), 24, INT32_MAX},
    {"index.interval.bytes", F32(index_interval_bytes), 0, INT32_MAX},
    {"max.message.bytes", F32(max_message_bytes), 61, INT32_MAX},
    {"retention.bytes", F64(retention_bytes), -1, INT64_MAX},
    {"retention.ms", F64(retention_ms), -1, INT64_MAX},
    {"delete.retention.ms", F64(delete_retention_ms), 0, INT64_MAX},
    {"min.compaction.lag.ms", F64(min_compaction_lag_ms), 0, INT64_MAX},
    {"flush.messages", F64(flush_messages), 1, INT64_MAX},
    {"flush.ms", F64(flush_ms), 0, INT64_MAX},
};

int bc_topic_config_set(bc_log_config_t *cfg, const char *key,
                        const char *value, char *errstr, size_t errstr_size) {
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const cfg_key_t *k = &keys[i];
        if (strcmp(key, k->name)) continue;
        int64_t v;
        if (parse_i64(value, &v) < 0 || v < k->min || v > k->max)
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "%s: '%s' is not an integer in [%lld, %lld]", key,
                              value, (long long)k->min, (long long)k->max);
        char *f = (char *)cfg + k->off;
        if (k->is32) {
            int32_t v32 = (int32_t)v;
            memcpy(f, &v32, sizeof(v32));
        } else {
            memcpy(f, &v, sizeof(v));
        }
        return 0;
    }
    if (!strcmp(key, "cleanup.policy")) {
        int p = 0;
        if (!strcmp(value, "delete"))
            p = BC_CLEANUP_DELETE;
        else if (!strcmp(value, "compact"))
            p = BC_CLEANUP_COMPACT;
        else if (!strcmp(value, "compact,delete") ||
                 !strcmp(value, "delete,compact"))
            p = BC_CLEANUP_COMPACT | BC_CLEANUP_DELETE;
        else
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "cleanup.policy: '%s' is not delete, compact "
                              "or compact,delete",
                              value);
        cfg->cleanup_policy = p;
        return 0;
    }
    if (!strcmp(key, "min.cleanable.dirty.ratio")) {
        char *end;
        errno = 0;
        double d = strtod(value, &end);
        if (errno || end == value || *end || !(d >= 0.0 && d <= 1.0))
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "%s: '%s' is not a number in [0, 1]", key, value);
        cfg->min_cleanable_dirty_ratio = d;
        return 0;
    }
    if (!strcmp(key, "warren.durable")) {
        if (strcmp(value, "true") && strcmp(value, "false"))
            return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                              "%s: '%s' is not true or false", key, value);
        cfg->durable = !strcmp(value, "true");
        return 0;
    }
    return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                      "unknown topic config key '%s'", key);
}

int bc_topic_config_set_kv(bc_log_config_t *cfg, const char *kv, char *errstr,
                           size_t errstr_size) {
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "'%s' is not key=value", kv);
    char key[128];
    size_t kl = (size_t)(eq - kv);
    if (kl >= sizeof(key))
        return bc_err_set(BC_ERR_INVALID, errstr, errstr_size,
                          "config key too long in '%s'", kv);
    memcpy(key, kv, kl);
    key[kl] = '\0';
    return bc_topic_config_set(cfg, key, eq + 1, errstr, errstr_size);
}

static const char *policy_name(int p) {
    if (p == (BC_CLEANUP_COMPACT | BC_CLEANUP_DELETE)) return "compact,delete";
    return p == BC_CLEANUP_COMPACT ? "compact" : "delete";
}

int bc_topic_save(const char *data_dir, const char *name,
                  const bc_topic_config_t *tc, char *errstr,
                  size_t errstr_size) {
    char dir[4096], buf[2048];
    const bc_log_config_t *c = &tc->log;
    snprintf(dir, sizeof(dir), "%s/topics", data_dir);
    int rc = bc_fs_mkdirs(dir, errstr, errstr_size);
    if (rc < 0) return rc;
    int n = snprintf(
        buf, sizeof(buf),
        "# Warren topic configuration (Kafka topic config names).\n"
        "version=0\ntopic=%s\ntopic.id=%s\npartitions=%d\n"
        "cleanup.policy=%s\nsegment.bytes=%lld\nsegment.ms=%lld\n"
        "segment.index.bytes=%d\nindex.interval.bytes=%d\n"
        "max.message.bytes=%d\nretention.bytes=%lld\nretention.ms=%lld\n"
        "min.cleanable.dirty.ratio=%.17g\ndelete.retention.ms=%lld\n"
        "min.compaction.lag.ms=%lld\nflush.messages=%lld\nflush.ms=%lld\n"
        "warren.durable=%s\n",
        name, tc->topic_id, (int)tc->partitions, policy_name(c->cleanup_policy),
        (long long)c->segment_bytes, (long long)c->segment_ms,
        (int)c->segment_index_bytes, (int)c->index_interval_bytes,
        (int)c->max_message_bytes, (long long)c->retention_bytes,
        (long long)c->retention_ms, c->min_cleanable_dirty_ratio,
        (long long)c->delete_retention_ms, (long long)c->min_compaction_lag_ms,
        (long long)c->flush_messages, (long long)c->flush_ms,
        c->durable ? "true" : "false");
    return bc_fs_write_atomic(dir, name, buf, (size_t)n, errstr, errstr_size);
}

int bc_topic_load(const char *data_dir, const char *name, bc_topic_config_t *tc,
                  char *errstr, size_t errstr_size) {
    char path[4096], *data = NULL, err[256];
    int rc = 0, line = 0, have_version = 0;
    snprintf(path, sizeof(path), "%s/topics/%s", data_dir, name);
    memset(tc, 0, sizeof(*tc));
    tc->log = bc_log_config_default();
    rc = bc_fs_read_file(path, 1 << 20, &data, NULL, errstr, errstr_size);
    if (rc < 0) return rc;
    char *next = data;
    while (next && *next) {
        char *l = next;
        char *nl = strchr(l, '\n');
        next = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        line++;
        if (l[0] == '#' || l[0] == '\0') continue;
        char *eq = strchr(l, '=');
        if (!eq) {
            rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                            "%s:%d: expected key=value", path, line);
            goto out;
        }
        *eq = '\0';
        const char *k = l, *v = eq + 1;
        if (!have_version && strcmp(k, "version")) {
            rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                            "%s:%d: first key must be version", path, line);
            goto out;
        }
        if (!strcmp(k, "version")) {
            if (strcmp(v, "0")) {
                rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                                "%s:%d: unsupported version '%s'", path, line,
                                v);
                goto out;
            }
            have_version = 1;
        } else if (!strcmp(k, "topic")) {
            if (strcmp(v, name)) {
                rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                                "%s:%d: topic '%s' does not match the file "
                                "name",
                                path, line, v);
                goto out;
            }
        } else if (!strcmp(k, "topic.id")) {
            if (strlen(v) != 22) {
                rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                                "%s:%d: topic.id must be 22 characters", path,
                                line);
                goto out;
            }
            memcpy(tc->topic_id, v, 23);
        } else if (!strcmp(k, "partitions")) {
            char *end;
            long p = strtol(v, &end, 10);
            if (*v == '\0' || *end || p < 1 || p > BC_TOPIC_MAX_PARTITIONS) {
                rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size,
                                "%s:%d: partitions '%s' not in [1, %d]", path,
                                line, v, BC_TOPIC_MAX_PARTITIONS);
                goto out;
            }
            tc->partitions = (int32_t)p;
        } else if (bc_topic_config_set(&tc->log, k, v, err, sizeof(err)) < 0) {
            rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size, "%s:%d: %s",
                            path, line, err);
            goto out;
        }
    }
    if (!have_version || tc->partitions == 0)
        rc = bc_err_set(BC_ERR_CORRUPT, errstr, errstr_size, "%s: missing %s",
                        path, have_version ? "partitions" : "version");
out:
    free(data);
    return rc;
}

void bc_topic_new_id(char out[23]) {
    static const char b64[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t raw[18] = {0};
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, raw, 16) != 16) {
        /* No entropy source: fall back to the address-space layout. */
        uintptr_t a = (uintptr_t)&fd ^ (uintptr_t)out;
        for (int i = 0; i < 16; i++)
            raw[i] = (uint8_t)(a >> ((i % 8) * 8)) ^ (uint8_t)(i * 37);
    }
    if (fd >= 0) close(fd);
    raw[6] = (uint8_t)((raw[6] & 0x0f) | 0x40); /* UUID v4 */
    raw[8] = (uint8_t)((raw[8] & 0x3f) | 0x80);
    int o = 0;
    for (int i = 0; i < 18 && o < 22; i += 3) {
        uint32_t v =
            (uint32_t)raw[i] << 16 | (uint32_t)raw[i + 1] << 8 | raw[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        if (o < 22) out[o++] = b64[(v >> 6) & 63];
        if (o < 22) out[o++] = b64[v & 63];
    }
    out[22] = '\0';
}

int bc_topic_write_partition_metadata(const char *partition_dir,
                                      const char *topic_id, char *errstr,
                                      size_t errstr_size) {
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "version: 0\ntopic_id: %s\n", topic_id);
    return bc_fs_write_atomic(partition_dir, "partition.metadata", buf,
                              (size_t)n, errstr, errstr_size);
}

int bc_topic_parse_partition_dir(const char *name, char *topic,
                                 size_t topic_size, int32_t *partition) {
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || dash[1] == '\0') return -1;
    long p = 0;
    for (const char *c = dash + 1; *c; c++) {
        if (*c < '0' || *c > '9' || p > BC_TOPIC_MAX_PARTITIONS) return -1;
        p = p * 10 + (*c - '0');
    }
    size_t n = (size_t)(dash - name);
    if (n >= topic_size) return -1;
    memcpy(topic, name, n);
    topic[n] = '\0';
    *partition = (int32_t)p;
    return 0;
}
