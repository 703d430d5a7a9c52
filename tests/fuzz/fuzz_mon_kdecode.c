/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the __consumer_offsets decoder (mon_kdecode) on
 * arbitrary records. Input: one byte of key length K (a null value when
 * the input is exactly K + 1 bytes long), K key bytes, then the value.
 * Each record is decoded twice, with and without bounds, into a record
 * reused across inputs (as the Kafka source reuses it); every string and
 * owner of a decoded record is touched under AddressSanitizer, a bounded
 * decode must keep within its bounds, and an error must say where. Seeds
 * in tests/fuzz/corpus_mon_kdecode/ are records of every key and value
 * version. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/sources/mon_kdecode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static mon_kdecode_record_t rec;

static size_t touch(const char *s) {
    return strlen(s);
}

static size_t walk(const mon_kdecode_record_t *r) {
    size_t sum = touch(r->group) + touch(r->topic) + touch(r->metadata) +
                 touch(r->protocol_type) + touch(r->protocol) +
                 touch(r->leader);
    for (size_t i = 0; i < r->n_members; i++) {
        const mon_kdecode_member_t *m = &r->members[i];
        sum += touch(m->member_id) + touch(m->group_instance_id) +
               touch(m->client_id) + touch(m->client_host);
    }
    for (size_t i = 0; i < r->n_owners; i++) {
        if (r->owners[i].member >= r->n_members) abort();
        sum += touch(r->owners[i].topic);
    }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const mon_kdecode_limits_t lim = {
        .max_name = 64, .max_members = 4, .max_assigned = 16};
    char err[256];
    size_t klen, sum = 0;
    const uint8_t *key, *value;
    size_t vlen;
    int rc;

    if (size < 1) return 0;
    klen = data[0];
    if (klen > size - 1) klen = size - 1;
    key = data + 1;
    value = key + klen;
    vlen = size - 1 - klen;
    /* exact-size copies: a read past either buffer is caught */
    uint8_t *k = malloc(klen ? klen : 1), *v = malloc(vlen ? vlen : 1);
    memcpy(k, key, klen);
    memcpy(v, value, vlen);
    for (int bounded = 0; bounded < 2; bounded++) {
        err[0] = '\0';
        rc = mon_kdecode_limited(k, klen, vlen ? v : NULL, vlen,
                                 bounded ? &lim : NULL, &rec, err, sizeof(err));
        if (rc == MON_KDECODE_OK) {
            sum += walk(&rec);
            if (bounded && (rec.n_members > lim.max_members ||
                            rec.n_owners > lim.max_assigned))
                abort();
        } else if (!err[0] || rec.type != MON_KDECODE_NONE ||
                   (!bounded && rc == MON_ERR_LIMIT)) {
            abort();
        }
    }
    free(k);
    free(v);
    return sum == (size_t)-1;
}
