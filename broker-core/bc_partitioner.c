/* SPDX-License-Identifier: Apache-2.0 */
/* bc_partitioner: see bc_partitioner.h. */
#include "broker-core/bc_partitioner.h"

#include <fcntl.h>
#include <unistd.h>

#include "broker-core/bc_mem.h"
#include "broker-core/bc_murmur2.h"

struct bc_partitioner_s {
    int strategy;
    int32_t n;
    int32_t batch_size;
    uint64_t rng;
    uint32_t rr;
    int32_t cur;      /* sticky partition */
    size_t vsize;     /* encoded size of the sticky batch so far */
    int32_t vcount;   /* records in it */
    int64_t vbase_ts; /* its base timestamp */
};

static uint64_t next_rand(bc_partitioner_t *pt) {
    uint64_t x = pt->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    pt->rng = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static int32_t pick_other(bc_partitioner_t *pt, int32_t avoid) {
    if (pt->n <= 1) return 0;
    int32_t p = (int32_t)(next_rand(pt) % (uint64_t)(pt->n - 1));
    return avoid >= 0 && p >= avoid ? p + 1 : p;
}

bc_partitioner_t *bc_partitioner_new(int strategy, int32_t partitions,
                                     int32_t batch_size, uint64_t seed) {
    bc_partitioner_t *pt = bc_calloc(1, sizeof(*pt));
    pt->strategy = strategy;
    pt->n = partitions < 1 ? 1 : partitions;
    pt->batch_size = batch_size;
    if (seed == 0) {
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            if (read(fd, &seed, sizeof(seed)) != sizeof(seed)) seed = 0;
            close(fd);
        }
        if (seed == 0) seed = (uint64_t)(uintptr_t)pt ^ 0x9E3779B97F4A7C15ULL;
    }
    pt->rng = seed;
    pt->cur = pick_other(pt, -1);
    pt->vsize = BC_BATCH_HEADER_SIZE;
    return pt;
}

void bc_partitioner_destroy(bc_partitioner_t *pt) {
    free(pt);
}

int32_t bc_partitioner_sticky(const bc_partitioner_t *pt) {
    return pt->cur;
}

int32_t bc_partitioner_choose(bc_partitioner_t *pt, const bc_record_in_t *rec,
                              int32_t *switched_from) {
    if (switched_from) *switched_from = -1;
    if (rec->key_len >= 0)
        return bc_murmur2_partition(rec->key, (size_t)rec->key_len, pt->n);
    if (pt->strategy == BC_PARTITIONER_ROUNDROBIN)
        return bc_murmur2_to_positive((int32_t)pt->rr++) % pt->n;
    int64_t base = pt->vcount ? pt->vbase_ts : rec->timestamp;
    size_t sz = bc_batch_record_size(rec, rec->timestamp - base, pt->vcount);
    if (pt->vcount > 0 && pt->vsize + sz > (size_t)pt->batch_size) {
        if (switched_from) *switched_from = pt->cur;
        pt->cur = pick_other(pt, pt->cur);
        pt->vcount = 0;
        pt->vsize = BC_BATCH_HEADER_SIZE;
        base = rec->timestamp;
        sz = bc_batch_record_size(rec, 0, 0);
    }
    if (pt->vcount == 0) pt->vbase_ts = rec->timestamp;
    pt->vsize += sz;
    pt->vcount++;
    return pt->cur;
}
