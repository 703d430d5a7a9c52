/* SPDX-License-Identifier: Apache-2.0 */
/* mon_regex: see mon_regex.h. The scan tracks, per group, the size the
 * expansion reaches (atoms times counts) and whether the group holds a
 * quantifier; it reads bracket expressions and escapes as regcomp does,
 * so their contents never count as quantifiers.
 */
#include "monitor/base/mon_regex.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rx_scan_s {
    const char *p;
    char why[MON_REGEX_WHY_SIZE];
} rx_scan_t;

/* Reads a quantifier at s->p, if any: sets *mult (copies glibc makes)
 * and *plural (more than one match possible). Returns 1 when one was
 * read, 0 when none, -1 on a refusal (why set). */
static int rx_quant(rx_scan_t *s, long *mult, int *plural) {
    char c = *s->p;
    if (c == '*' || c == '+' || c == '?') {
        s->p++;
        *mult = 2;
        *plural = c != '?';
        return 1;
    }
    if (c != '{' || !isdigit((unsigned char)s->p[1])) return 0;
    char *end;
    long lo = strtol(s->p + 1, &end, 10), hi = lo;
    if (*end == ',') {
        if (isdigit((unsigned char)end[1]))
            hi = strtol(end + 1, &end, 10);
        else {
            hi = lo + 1; /* {m,}: m copies and a star */
            end++;
        }
    }
    if (*end != '}') return 0; /* regcomp decides */
    if (lo > MON_REGEX_MAX_COUNT || hi > MON_REGEX_MAX_COUNT) {
        snprintf(s->why, sizeof(s->why), "a repetition count above %d",
                 MON_REGEX_MAX_COUNT);
        return -1;
    }
    s->p = end + 1;
    *mult = hi > 1 ? hi : 1;
    *plural = hi > 1;
    return 1;
}

/* Scans up to ')' or the end; *size gets the expanded size, *quantified
 * whether anything inside repeats. Returns 0 or -1 (why set). */
static int rx_seq(rx_scan_t *s, int depth, long *size, int *quantified) {
    *size = 0;
    *quantified = 0;
    while (*s->p && *s->p != ')') {
        long atom = 1;
        int inner_q = 0;
        if (*s->p == '|') {
            s->p++;
            continue;
        }
        if (*s->p == '(') {
            if (depth > 32) {
                snprintf(s->why, sizeof(s->why),
                         "groups nested deeper "
                         "than 32");
                return -1;
            }
            s->p++;
            if (rx_seq(s, depth + 1, &atom, &inner_q) != 0) return -1;
            if (*s->p == ')') s->p++;
        } else if (*s->p == '[') {
            const char *q = s->p + 1;
            if (*q == '^') q++;
            if (*q == ']') q++;
            while (*q && *q != ']') {
                if (q[0] == '[' &&
                    (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
                    const char *close = strchr(q + 2, q[1]);
                    q = close && close[1] == ']' ? close + 2 : q + 1;
                } else {
                    q++;
                }
            }
            s->p = *q ? q + 1 : q;
        } else if (*s->p == '\\' && s->p[1]) {
            s->p += 2;
        } else {
            s->p++;
        }
        long mult;
        int plural, rc = rx_quant(s, &mult, &plural);
        if (rc < 0) return -1;
        if (rc == 1) {
            long m2;
            int p2;
            if (rx_quant(s, &m2, &p2) != 0) {
                snprintf(s->why, sizeof(s->why),
                         "stacked quantifiers "
                         "(a quantifier right after another)");
                return -1;
            }
            if (inner_q && plural) {
                snprintf(s->why, sizeof(s->why),
                         "stacked quantifiers "
                         "(a repeated group that itself repeats, as in "
                         "(a+)+)");
                return -1;
            }
            atom *= mult;
            inner_q = 1;
        }
        *size += atom;
        *quantified |= inner_q;
        if (*size > MON_REGEX_MAX_SIZE) {
            snprintf(s->why, sizeof(s->why),
                     "it expands to more than %d "
                     "elements",
                     MON_REGEX_MAX_SIZE);
            return -1;
        }
    }
    return 0;
}

int mon_regex_bound(const char *pattern, char *why, size_t why_size) {
    rx_scan_t scan = {.p = pattern};
    long size;
    int quantified;
    while (*scan.p) { /* an unbalanced ')' is left to regcomp */
        if (rx_seq(&scan, 0, &size, &quantified) != 0) {
            snprintf(why, why_size, "%s", scan.why);
            return -1;
        }
        if (*scan.p == ')') scan.p++;
    }
    return 0;
}
