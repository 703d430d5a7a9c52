/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the configuration loader (mon_config) on arbitrary
 * INI text. Every input must load or fail with one line naming where and
 * why; a loaded configuration is printed whole (the check-config output,
 * every key read back through the table) and matched against a name, so
 * every value the loader kept is touched. ${ENV} references see only
 * FUZZ_SECRET. Seeds in tests/fuzz/corpus_mon_config/ are the sample
 * configurations and bad lines. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/config/mon_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512] = "";
    char *text = malloc(size + 1);
    mon_config_t *cfg;

    if (!devnull) {
        devnull = fopen("/dev/null", "w");
        setenv("FUZZ_SECRET", "s3cret", 1);
    }
    memcpy(text, data, size);
    text[size] = '\0';
    cfg = mon_config_load_string(text, "fuzz.ini", err, sizeof(err));
    free(text);
    if (!cfg) {
        if (!err[0]) abort(); /* a refusal must say why */
        return 0;
    }
    mon_config_write_effective(cfg, devnull);
    for (size_t i = 0; i < mon_config_cluster_count(cfg); i++) {
        const mon_config_cluster_t *c = mon_config_cluster_at(cfg, i);
        mon_config_name_allowed(c->group_allowlist, c->group_denylist,
                                "consumer-1");
        mon_config_name_allowed(c->topic_allowlist, c->topic_denylist,
                                "orders");
    }
    mon_config_destroy(cfg);
    return 0;
}
