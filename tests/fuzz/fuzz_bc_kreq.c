/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the Kafka request decoder (bc_kreq) on arbitrary
 * frames. Every input must decode or fail cleanly (no read past the
 * frame, no leak, no abort); decoded requests are walked so that every
 * pointer they hold is touched under AddressSanitizer. Seeds in
 * tests/fuzz/corpus_bc_kreq/ are real client frames. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "broker-core/bc_kreq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t touch(const char *s) {
    return s ? strlen(s) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    bc_kreq_t req;
    char err[256];
    size_t sum = 0;
    if (bc_kreq_decode(data, size, &req, NULL, err, sizeof(err)) == 0 &&
        req.status == BC_KREQ_OK) {
        sum += touch(req.client_id);
        switch (req.api_key) {
        case BC_API_PRODUCE:
            for (int32_t i = 0; i < req.u.produce.topic_cnt; i++) {
                const bc_kreq_produce_topic_t *t = &req.u.produce.topics[i];
                sum += touch(t->name);
                for (int32_t j = 0; j < t->part_cnt; j++)
                    if (t->parts[j].records_len > 0)
                        sum += t->parts[j].records[t->parts[j].records_len - 1];
            }
            break;
        case BC_API_FETCH:
            for (int32_t i = 0; i < req.u.fetch.topic_cnt; i++)
                for (int32_t j = 0; j < req.u.fetch.topics[i].part_cnt; j++)
                    sum += (size_t)req.u.fetch.topics[i].parts[j].fetch_offset;
            break;
        case BC_API_METADATA:
            for (int32_t i = 0; i < req.u.metadata.topic_cnt; i++)
                sum += touch(req.u.metadata.topics[i]);
            break;
        case BC_API_JOIN_GROUP:
            for (int32_t i = 0; i < req.u.join_group.protocol_cnt; i++) {
                const bc_kreq_protocol_t *p = &req.u.join_group.protocols[i];
                sum += touch(p->name);
                if (p->metadata_len > 0)
                    sum += p->metadata[p->metadata_len - 1];
            }
            break;
        case BC_API_OFFSET_COMMIT:
            for (int32_t i = 0; i < req.u.offset_commit.topic_cnt; i++)
                for (int32_t j = 0; j < req.u.offset_commit.topics[i].part_cnt;
                     j++)
                    sum +=
                        touch(req.u.offset_commit.topics[i].parts[j].metadata);
            break;
        case BC_API_DESCRIBE_CONFIGS:
            for (int32_t i = 0; i < req.u.describe_configs.resource_cnt; i++) {
                const bc_kreq_config_resource_t *r =
                    &req.u.describe_configs.resources[i];
                for (int32_t j = 0; j < r->key_cnt; j++)
                    sum += touch(r->keys[j]);
            }
            break;
        default:
            break;
        }
    }
    bc_kreq_free(&req);
    return sum == (size_t)-1;
}
