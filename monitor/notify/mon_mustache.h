/* SPDX-License-Identifier: Apache-2.0 */
/* mon_mustache: Mustache templates rendered over a cJSON tree, for webhook
 * bodies and URLs.
 *
 * A template is compiled once (at startup, where a parse error can stop the
 * daemon with FILE:LINE) and rendered many times; the compiled form is
 * immutable, so one template may be rendered from several threads at once.
 * Supported, as the Mustache specification describes them: {{name}}, dotted
 * names, the implicit iterator {{.}}, sections over lists, objects and
 * other truthy values, inverted sections, comments, {{{raw}}} and {{&raw}},
 * set delimiters, standalone-line removal and partials (via a lookup
 * callback). No lambdas, no dynamic names, no inheritance.
 *
 * Choices the specification leaves open:
 * - Falsey values: missing, null, false, 0, "" and the empty list (as in
 *   mustache.js), so {{#partition_counts.stall}}...{{/...}} hides a zero.
 * - Numbers: integral values print without a decimal point (48210), others
 *   with the shortest %g form that reads back exactly (1.5, 0.1).
 * - Booleans print as true / false; null and missing as nothing.
 * - Objects and lists interpolated as values print as compact JSON, so a
 *   JSON template can embed a structure: "partitions": {{{partitions}}}.
 */
#ifndef MON_MUSTACHE_H
#define MON_MUSTACHE_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* How {{name}} values are escaped; {{{name}}}, {{&name}} and template text
 * are never escaped. */
typedef enum mon_esc_e {
    MON_ESC_NONE = 0, /* verbatim */
    MON_ESC_HTML,     /* & < > " ' as &amp; &lt; &gt; &quot; &#39; */
    MON_ESC_JSON,     /* inside a JSON string: \" \\, control characters
                       * as \u00XX, invalid UTF-8 bytes as \ufffd */
    MON_ESC_URL       /* URL component: all but A-Z a-z 0-9 - . _ ~ as
                       * %XX, for webhook URLs like .../groups/{{group}} */
} mon_esc_t;

typedef struct mon_mustache_s mon_mustache_t;

/* Partial lookup: returns the text of partial NAME and its length in *lenp,
 * or NULL when there is none (it then renders as nothing). The text must
 * stay valid and unchanged until the render call returns. Called on the
 * rendering thread. */
typedef struct mon_mustache_partials_s {
    const char *(*lookup)(void *opaque, const char *name, size_t *lenp);
    void *opaque;
} mon_mustache_partials_t;

/* Compiles LEN bytes of TEXT (copied; the caller keeps TEXT). NAME (usually
 * the file path, copied) prefixes error messages. Returns the template, or
 * NULL with "NAME:LINE: why" in errstr (unclosed tag, unclosed section,
 * mismatched closing tag, bad delimiters, bad name). Free with
 * mon_mustache_destroy. */
mon_mustache_t *mon_mustache_compile(const char *text, size_t len,
                                     const char *name, char *errstr,
                                     size_t errstr_size);

/* Reads the file PATH and compiles it with PATH as its name. Returns NULL
 * with "PATH: why" (unreadable, larger than 16 MiB) or "PATH:LINE: why". */
mon_mustache_t *mon_mustache_load(const char *path, char *errstr,
                                  size_t errstr_size);

/* Renders TPL over DATA (may be NULL: every name is then missing) with the
 * given escaping. PARTIALS may be NULL (every {{>name}} renders as
 * nothing). Returns a NUL-terminated malloc'd string the caller frees, or
 * NULL with "NAME:LINE: why" in errstr only when a partial does not compile,
 * sections and partials nest deeper than 256, or the render would write
 * more than 16 MiB or visit more than 2^20 nodes (sections over lists
 * multiply: 22 nested sections over a 3-item list are 3^22). Thread-safe:
 * TPL and DATA are only read. */
char *mon_mustache_render(const mon_mustache_t *tpl, const cJSON *data,
                          mon_esc_t esc,
                          const mon_mustache_partials_t *partials, char *errstr,
                          size_t errstr_size);

/* Frees TPL; NULL is accepted. */
void mon_mustache_destroy(mon_mustache_t *tpl);

#endif
