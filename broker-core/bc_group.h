/* SPDX-License-Identifier: Apache-2.0 */
/* bc_group: small shared pieces of the consumer-group layer.
 *
 * Group ids, member ids and topic names are Java strings in Kafka: the
 * group -> __consumer_offsets partition mapping hashes UTF-16 code units
 * (String.hashCode) and the assignors sort names with String.compareTo,
 * which orders UTF-16 code units, not UTF-8 bytes. Warren keeps names as
 * UTF-8 C strings, so this module decodes them to UTF-16 on the fly to
 * get Kafka's exact numbers and orders. Malformed UTF-8 bytes each count
 * as U+FFFD, as Java's decoder substitutes them.
 *
 * It also holds the topic-partition value type the other bc_group-layer
 * modules (bc_assign, bc_coord, bc_offsets, bc_consumer) exchange.
 * Everything here is pure: no allocation, no locks, no clock.
 */
#ifndef BC_GROUP_H
#define BC_GROUP_H

#include <stddef.h>
#include <stdint.h>

/* A topic partition. `topic` is borrowed: whoever hands one out says how
 * long the string lives. */
typedef struct bc_group_tp_s {
    const char *topic;
    int32_t partition;
} bc_group_tp_t;

/* Java's String.hashCode of the UTF-8 string s[0..len): h = 31*h + c over
 * its UTF-16 code units with 32-bit wraparound. Pure; never fails. */
int32_t bc_group_java_hash(const char *s, size_t len);

/* Kafka's Utils.abs: |n|, and 0 for INT32_MIN (not Math.abs). */
int32_t bc_group_java_abs(int32_t n);

/* Java's String.compareTo of two NUL-terminated UTF-8 strings: <0, 0 or
 * >0 by UTF-16 code unit order. Pure; never fails. */
int bc_group_java_cmp(const char *a, const char *b);

/* Orders topic partitions by topic (Java order), then partition number.
 * Signature fits qsort over bc_group_tp_t. */
int bc_group_tp_cmp(const void *a, const void *b);

#endif
