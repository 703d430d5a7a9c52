/* SPDX-License-Identifier: Apache-2.0 */
/* mon_config_int: what the loader (mon_config.c) and the key table
 * (mon_config_keys.c) share inside monitor/config/. Not for other modules:
 * they read the typed structs of mon_config.h and the table through
 * mon_config_keys().
 *
 * The table turns one "key = value" into a field of a section struct
 * (mon_config_general_t, ..., mon_config_notifier_t) through the row's
 * type and offset; the loader only finds rows, tracks lines and sections,
 * and turns a refusal ("why") into "FILE:LINE: [section] key: why".
 */
#ifndef MON_CONFIG_INT_H
#define MON_CONFIG_INT_H

#include "monitor/config/mon_config.h"

#define MON_CONFIG_WHY_SIZE 512

/* Where a key of one section instance was set in the file. */
typedef struct mon_config_origin_s {
    mon_config_sect_t sect;
    size_t index; /* cluster or notifier number; 0 for the others */
    char *name;   /* the key as written */
    int line;
} mon_config_origin_t;

struct mon_config_s {
    char *path; /* NULL for the built-in default */
    char *name; /* the file's name in messages; NULL for the default */
    mon_config_general_t general;
    mon_config_http_t http;
    mon_config_broker_t broker;
    mon_config_storage_t storage;
    mon_config_evaluator_t evaluator;
    mon_config_metrics_t metrics;
    mon_config_cluster_t **clusters;
    size_t n_clusters;
    mon_config_notifier_t **notifiers;
    size_t n_notifiers;
    mon_config_origin_t *origins; /* every key set by the file */
    size_t n_origins;
};

/* One value on its way into a section struct. */
typedef struct mon_config_set_s {
    const mon_config_key_t *key;
    void *obj;        /* the section struct the key's offsets point into */
    const char *name; /* the key as written: "kafka.sasl.password" */
    const char *raw;  /* the whole line before inih cut its comment, or
                       * NULL (defaults) */
    char why[MON_CONFIG_WHY_SIZE]; /* the reason, on failure */
} mon_config_set_t;

/* Parses value by the row's type (after ${ENV} expansion when the row
 * says so, and its check) into set->obj. Returns 0, or -1 with the reason
 * in set->why; the field then keeps its previous value. */
int mon_config_set_value(mon_config_set_t *set, const char *value);

/* Sets every key of sect that has a default to it, in obj. */
void mon_config_apply_defaults(mon_config_sect_t sect, void *obj);

/* Frees every field the table's keys of sect own in obj (strings, lists,
 * regexes, maps); not obj itself. */
void mon_config_free_fields(mon_config_sect_t sect, void *obj);

/* The struct of section instance index (see mon_config_get()); NULL
 * when index is out of range. */
void *mon_config_sect_obj(const mon_config_t *cfg, mon_config_sect_t sect,
                          size_t index);

/* "a, b or c" from a values table (or the row's expect) into buf. */
void mon_config_values_text(const mon_config_key_t *key, char *buf,
                            size_t size);

/* The line that set key `name` of a section instance, or 0 when the
 * file did not set it. */
int mon_config_origin_line(const mon_config_t *cfg, mon_config_sect_t sect,
                           size_t index, const char *name);

/* Parses "ADDR:PORT" / "[V6]:PORT" with a numeric address into a new
 * *host, *port and *family. Returns 0, or -1 with the reason in why. */
int mon_config_parse_listen(const char *s, char **host, int *port, int *family,
                            char *why, size_t why_size);

/* Why path is not a readable regular file (written into why), or NULL. */
const char *mon_config_file_problem(const char *path, char *why, size_t size);

/* A copy of s[0..n) without leading and trailing white space. */
char *mon_config_trim_copy(const char *s, size_t n);

#endif
