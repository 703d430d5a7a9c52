/* SPDX-License-Identifier: Apache-2.0 */
/* Tests for `warren broker produce` in-process, for failures the real
 * binary cannot be made to hit from outside: the test links the CLI's
 * objects with bc_producer_new wrapped (ld --wrap=bc_producer_new, see
 * the Makefile), so a producer that cannot be created is simulated. The
 * end-to-end behaviour of the command is tested by
 * tests/integration/test_broker_cli.sh. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker-core/bc_producer.h"
#include "monitor/cmd/mon_cli.h"

static bool g_fail_producer;

bc_producer_t *__real_bc_producer_new(bc_broker_t *b,
                                      const bc_producer_conf_t *conf,
                                      char *errstr, size_t errstr_size);
bc_producer_t *__wrap_bc_producer_new(bc_broker_t *b,
                                      const bc_producer_conf_t *conf,
                                      char *errstr, size_t errstr_size);

bc_producer_t *__wrap_bc_producer_new(bc_broker_t *b,
                                      const bc_producer_conf_t *conf,
                                      char *errstr, size_t errstr_size) {
    if (g_fail_producer) {
        snprintf(errstr, errstr_size, "simulated: no producer");
        return NULL;
    }
    return __real_bc_producer_new(b, conf, errstr, errstr_size);
}

static char g_dir[64];
static char g_out[8192], g_err[8192];

static void slurp(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t n = fread(buf, 1, size - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs `warren broker produce --data-dir DIR --topic t` with `input` on
 * stdin (this test process's stdio is redirected to files); returns the
 * exit code and leaves stdout and stderr in g_out and g_err. */
static int produce(const char *input) {
    char in[128], out[128], err[128], data[128];
    snprintf(g_dir, sizeof(g_dir), "/tmp/warren-cli-XXXXXX");
    cr_assert_not_null(mkdtemp(g_dir));
    snprintf(in, sizeof(in), "%s/in", g_dir);
    snprintf(out, sizeof(out), "%s/out", g_dir);
    snprintf(err, sizeof(err), "%s/err", g_dir);
    snprintf(data, sizeof(data), "%s/data", g_dir);
    FILE *f = fopen(in, "w");
    cr_assert_not_null(f);
    fputs(input, f);
    fclose(f);
    cr_assert_not_null(freopen(in, "r", stdin));
    cr_assert_not_null(freopen(out, "w", stdout));
    cr_assert_not_null(freopen(err, "w", stderr));
    char *argv[] = {"broker",  "produce", "--data-dir", data,
                    "--topic", "t",       NULL};
    int rc = mon_cli_broker(6, argv);
    fflush(stdout);
    fflush(stderr);
    slurp(out, g_out, sizeof(g_out));
    slurp(err, g_err, sizeof(g_err));
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    cr_assert_eq(system(cmd), 0);
    return rc;
}

Test(mon_cli_broker, produce_reports_the_records_it_stored) {
    cr_assert_eq(produce("a\nb\n"), 0, "%s", g_err);
    cr_assert(strstr(g_out, "\"records\":2"), "%s", g_out);
}

Test(mon_cli_broker, produce_fails_when_the_producer_cannot_be_created) {
    g_fail_producer = true;
    int rc = produce("a\nb\n");
    cr_assert_eq(rc, 1, "exit %d; stdout: %s", rc, g_out);
    cr_assert_str_empty(g_out, "claimed success: %s", g_out);
    cr_assert(strstr(g_err, "simulated: no producer"), "stderr: %s", g_err);
    cr_assert_eq(strchr(g_err, '\n'), g_err + strlen(g_err) - 1,
                 "want one line: %s", g_err);
}
