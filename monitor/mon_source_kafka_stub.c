/* Placeholder until the Kafka source is wired in. */
#include <stdio.h>

#include "monitor/mon_service.h"

mon_source_t *mon_service_kafka_source(const mon_config_cluster_t *cc,
                                       mon_store_t *st, char *errstr,
                                       size_t errstr_size) {
    (void)st;
    snprintf(errstr, errstr_size, "cluster %s: source = kafka is not "
             "available in this build", cc->name);
    return NULL;
}
