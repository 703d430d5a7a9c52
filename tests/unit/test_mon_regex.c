/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for mon_regex: what passes the bound and what is refused
 * before regcomp would build a huge automaton. */
#include <criterion/criterion.h>

#include <regex.h>
#include <string.h>

#include "monitor/base/mon_regex.h"

Test(mon_regex, ordinary_patterns_pass_and_compile) {
    const char *ok[] = {"billing",
                        "^pay-.*$",
                        "a|b|c",
                        "[a-z]+-[0-9]{1,3}",
                        "(orders|payments)-v[0-9]+",
                        "x?",
                        "[+*]",
                        "a\\+",
                        "(ab)?",
                        "[[:alpha:]]+",
                        ""};
    char why[MON_REGEX_WHY_SIZE];
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        cr_expect_eq(mon_regex_bound(ok[i], why, sizeof(why)), 0, "%s: %s",
                     ok[i], why);
        regex_t re;
        cr_expect_eq(regcomp(&re, ok[i], REG_EXTENDED | REG_NOSUB), 0);
        regfree(&re);
    }
}

Test(mon_regex, stacked_quantifiers_and_huge_counts_are_refused) {
    static const struct {
        const char *p, *why;
    } bad[] = {
        {"(a+)+", "stacked quantifiers"},
        {"(a*)*b", "stacked quantifiers"},
        {"a**", "stacked quantifiers"},
        {"(a{2}){3}", "stacked quantifiers"},
        {"a{256}", "a repetition count above 255"},
        {"((a{1,100}){1,100}){1,100}", "stacked quantifiers"},
        {"((((((((((((((((((((((((((((((((((a"
         "))))))))))))))))))))))))))))))))))",
         "nested deeper"},
        {"a{200}b{200}c{200}d{200}e{200}f{200}g{200}h{200}i{200}j{200}"
         "k{200}l{200}m{200}n{200}o{200}p{200}q{200}r{200}s{200}t{200}"
         "u{200}",
         "more than 4096"},
    };
    char why[MON_REGEX_WHY_SIZE];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_expect_eq(mon_regex_bound(bad[i].p, why, sizeof(why)), -1, "%s",
                     bad[i].p);
        cr_expect(strstr(why, bad[i].why), "%s: %s", bad[i].p, why);
    }
}
