/* SPDX-License-Identifier: Apache-2.0 */
/* mon_regex: the bound every regex from outside passes before regcomp.
 *
 * glibc's regcomp builds an automaton that grows with the product of
 * nested repetitions (it copies a subexpression once per count of
 * {m,n}), so ((a{1,100}){1,100}){1,100} costs gigabytes, and a repeated
 * group that itself repeats ((a+)+) is the stacked quantifier that helps
 * no match. Patterns come from the config file and from the HTTP API
 * (silences), so both refuse such a pattern with one reason instead of
 * compiling it. Pure; any thread.
 */
#ifndef MON_REGEX_H
#define MON_REGEX_H

#include <stddef.h>

#define MON_REGEX_WHY_SIZE 160
#define MON_REGEX_MAX_COUNT 255 /* largest {m,n} count */
#define MON_REGEX_MAX_SIZE 4096 /* elements once repetitions expand */

/* Checks POSIX ERE pattern: a quantifier right after another, a
 * quantifier other than ? over a group that itself repeats, a count over
 * MON_REGEX_MAX_COUNT, groups nested deeper than 32 or an expansion over
 * MON_REGEX_MAX_SIZE elements are refused. Returns 0, or -1 with the
 * reason in why ("stacked quantifiers (...)"). Syntax errors are left to
 * regcomp. */
int mon_regex_bound(const char *pattern, char *why, size_t why_size);

#endif
