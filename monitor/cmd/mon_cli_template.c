/* SPDX-License-Identifier: Apache-2.0 */
/* mon_cli_template: `warren template render TEMPLATE DATA.json`, for a user
 * trying out a notification template before putting it in the config.
 *
 * It compiles the template exactly as the notifier does (mon_mustache) and
 * renders it over the JSON in DATA.json, so what it prints is the body the
 * notifier would send for that data. Both files are read whole; they are
 * small, hand-written files, so a 64 MiB cap is only a guard.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_err.h"
#include "monitor/base/mon_mem.h"
#include "monitor/cmd/mon_cli.h"
#include "monitor/cmd/mon_cli_opt.h"
#include "monitor/notify/mon_mustache.h"

#define MAX_DATA (64u << 20)

static void usage(FILE *out) {
    fprintf(out,
            "usage: warren template render TEMPLATE DATA.json "
            "[--escape json|html|url|none]\n"
            "\n"
            "Renders the Mustache template TEMPLATE over the JSON in "
            "DATA.json and\n"
            "prints the result: the body a notifier with this template "
            "would send.\n"
            "\n"
            "options:\n"
            "  --escape MODE  how {{name}} values are escaped:\n"
            "                   json  JSON string escaping (\\\" \\\\ "
            "\\u00XX), for JSON bodies\n"
            "                   html  & < > \" ' as HTML entities\n"
            "                   url   %%XX for all but A-Z a-z 0-9 - . _ ~\n"
            "                   none  verbatim\n"
            "                 default: json if TEMPLATE ends in .json, "
            "html if it ends\n"
            "                 in .html or .htm, else none. {{{name}}} and "
            "{{&name}} are\n"
            "                 never escaped.\n"
            "  -h, --help     show this help\n"
            "\n"
            "Notification templates see: id, cluster, group, start, "
            "status, label,\n"
            "status_words (\"has stalled\"), summary (\"audit has "
            "stalled\"), group_short,\n"
            "explanation, totallag, maxlag, partitions and "
            "partitions_worst (the 10\n"
            "worst; partitions_more counts the rest) of topic, partition, "
            "status,\n"
            "status_words, rule, current_lag, time_lag_s, owner, "
            "partition_counts (warn,\n"
            "stop, stall, rewind), dashboard_url, extras; *_mrkdwn fields "
            "are names\n"
            "escaped for Slack mrkdwn (& < > as &amp; &lt; &gt;). "
            "samples/templates/ has\n"
            "examples and example-data.json. Lists and objects used as "
            "values print as\n"
            "JSON.\n"
            "\n"
            "exit status: 0 rendered, 2 bad usage or a file that does not "
            "read or parse\n"
            "(one line naming the file and the line or byte offset).\n");
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcasecmp(s + n - m, suffix);
}

/* Parses DATA.json; NULL with "PATH: invalid JSON at byte N (line L)". */
static cJSON *load_data(const char *path, char *errstr, size_t errstr_size) {
    size_t len = 0;
    char *buf = mon_file_read_max(path, MAX_DATA, &len, errstr, errstr_size);
    if (!buf) return NULL;
    const char *end = NULL;
    /* The length includes the NUL so trailing garbage is an error. */
    cJSON *data = cJSON_ParseWithLengthOpts(buf, len + 1, &end, 1);
    size_t at = end ? (size_t)(end - buf) : 0;
    if (data && at < len) { /* stopped at a NUL byte inside the file */
        cJSON_Delete(data);
        data = NULL;
    }
    if (!data) {
        if (at > len) at = len;
        int line = 1;
        for (size_t i = 0; i < at; i++)
            line += buf[i] == '\n';
        snprintf(errstr, errstr_size, "%s: invalid JSON at byte %zu (line %d)",
                 path, at, line);
    }
    free(buf);
    return data;
}

static const mon_cli_cmd_t template_cmd = {"template", usage, NULL, 1};

/* json for .json, html for .html/.htm, else none. */
static mon_esc_t escape_for(const char *path) {
    return ends_with(path, ".json")   ? MON_ESC_JSON
           : ends_with(path, ".html") ? MON_ESC_HTML
           : ends_with(path, ".htm")  ? MON_ESC_HTML
                                      : MON_ESC_NONE;
}

int mon_cli_template(int argc, char **argv) {
    static const mon_cli_choice_t escapes[] = {{"json", MON_ESC_JSON},
                                               {"html", MON_ESC_HTML},
                                               {"url", MON_ESC_URL},
                                               {"none", MON_ESC_NONE},
                                               {NULL, 0}};
    const char *args[3] = {NULL, NULL, NULL}; /* render TEMPLATE DATA */
    int escape = -1, rc = 2;
    mon_mustache_t *tpl = NULL;
    cJSON *data = NULL;
    char *out = NULL;
    char err[MON_ERRSTR_SIZE];
    const mon_cli_opt_t opts[] = {
        {"escape", MON_CLI_CHOICE, &escape, 0, 0, escapes, NULL},
    };

    int n = mon_cli_parse(&template_cmd, opts, 1, argc, argv, args, 3);
    if (n < 0) return mon_cli_exit(n);
    if (n == 0 || strcmp(args[0], "render"))
        return n ? mon_cli_bad(&template_cmd, "unknown action '%s'", args[0])
                 : mon_cli_bad(&template_cmd, "no action given");
    if (n != 3)
        return mon_cli_bad(&template_cmd,
                           "render needs TEMPLATE and DATA.json");
    const char *paths[2] = {args[1], args[2]};
    mon_esc_t esc = escape < 0 ? escape_for(paths[0]) : (mon_esc_t)escape;

    tpl = mon_mustache_load(paths[0], err, sizeof(err));
    if (!tpl) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    data = load_data(paths[1], err, sizeof(err));
    if (!data) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    out = mon_mustache_render(tpl, data, esc, NULL, err, sizeof(err));
    if (!out) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    size_t olen = strlen(out);
    if (fwrite(out, 1, olen, stdout) != olen || fflush(stdout) != 0) {
        fprintf(stderr, "warren template: writing output: %s\n",
                strerror(errno));
        rc = 1;
        goto out;
    }
    rc = 0;
out:
    free(out);
    cJSON_Delete(data);
    mon_mustache_destroy(tpl);
    return rc;
}
