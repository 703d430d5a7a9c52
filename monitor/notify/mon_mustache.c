/* SPDX-License-Identifier: Apache-2.0 */
/* mon_mustache: see mon_mustache.h.
 *
 * Compiling turns the text into a tree of nodes (text slices of a private
 * copy of the source, interpolations, sections, partials); standalone lines
 * are resolved at this point, so rendering is a plain walk of the tree with
 * a context stack. Templates are small and rendered far more often than
 * compiled, so the tree favours a simple render loop over compactness.
 * Nothing shared is written while rendering: partials are compiled into a
 * cache that lives only for one render call.
 */
#include "monitor/notify/mon_mustache.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/base/mon_codec.h"
#include "monitor/base/mon_mem.h"

#define MAX_DELIM 16           /* bytes in a custom delimiter */
#define MAX_SECTION_DEPTH 128  /* nested sections in one template */
#define MAX_RENDER_DEPTH 256   /* nested sections + partials at render */
#define MAX_FILE (16u << 20)   /* mon_mustache_load limit */
#define MAX_OUTPUT (16u << 20) /* bytes one render may write */
/* nodes one render may visit: sections over lists nest, so a short
 * template could otherwise render for ever */
#define MAX_STEPS (1u << 20)

typedef enum node_kind_e {
    N_TEXT,
    N_VAR,      /* {{name}}: escaped */
    N_RAW,      /* {{{name}}} and {{&name}} */
    N_SECTION,  /* {{#name}} */
    N_INVERTED, /* {{^name}} */
    N_PARTIAL   /* {{>name}} */
} node_kind_t;

typedef struct node_s node_t;

typedef struct block_s {
    node_t *v;
    size_t n, cap;
} block_t;

struct node_s {
    node_kind_t kind;
    int line;
    const char *text; /* N_TEXT: slice of the template's source */
    size_t len;
    char *name;   /* the name as written, trimmed */
    char **parts; /* dotted parts; nparts 0 = implicit iterator */
    size_t nparts;
    char *indent; /* N_PARTIAL standalone indentation, else NULL */
    block_t body; /* N_SECTION, N_INVERTED */
};

struct mon_mustache_s {
    char *name;
    char *src;
    size_t len;
    block_t root;
};

/* ---- tree ------------------------------------------------------------ */

static node_t *block_add(block_t *b, node_kind_t kind, int line) {
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 8;
        b->v = mon_realloc(b->v, b->cap * sizeof(*b->v));
    }
    node_t *nd = &b->v[b->n++];
    memset(nd, 0, sizeof(*nd));
    nd->kind = kind;
    nd->line = line;
    return nd;
}

static void block_free(block_t *b) {
    for (size_t i = 0; i < b->n; i++) {
        node_t *nd = &b->v[i];
        free(nd->name);
        for (size_t j = 0; j < nd->nparts; j++)
            free(nd->parts[j]);
        free(nd->parts);
        free(nd->indent);
        block_free(&nd->body);
    }
    free(b->v);
    b->v = NULL;
    b->n = b->cap = 0;
}

/* ---- parser ---------------------------------------------------------- */

typedef struct parser_s {
    mon_mustache_t *tpl;
    const char *s;
    size_t len;
    char otag[MAX_DELIM + 1], ctag[MAX_DELIM + 1];
    size_t olen, clen;
    block_t *blocks[MAX_SECTION_DEPTH + 1]; /* [0] is the root */
    node_t *open[MAX_SECTION_DEPTH];        /* open sections */
    int depth;
    char *errstr;
    size_t errstr_size;
} parser_t;

__attribute__((format(printf, 3, 4))) static int perr(parser_t *p, int line,
                                                      const char *fmt, ...) {
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->errstr && p->errstr_size)
        snprintf(p->errstr, p->errstr_size, "%s:%d: %s", p->tpl->name, line,
                 msg);
    return -1;
}

static bool is_blank(char c) {
    return c == ' ' || c == '\t';
}

static bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
           c == '\f';
}

/* Trims [*b, *e) of whitespace. */
static void trim(const char *s, size_t *b, size_t *e) {
    while (*b < *e && is_space(s[*b]))
        (*b)++;
    while (*e > *b && is_space(s[*e - 1]))
        (*e)--;
}

/* Fills nd->name and nd->parts from the tag content s[b, e). */
static int parse_name(parser_t *p, node_t *nd, size_t b, size_t e, int line) {
    trim(p->s, &b, &e);
    if (b == e) return perr(p, line, "empty tag name");
    for (size_t i = b; i < e; i++)
        if (is_space(p->s[i]))
            return perr(p, line, "bad tag name '%.*s' (contains a space)",
                        (int)(e - b), p->s + b);
    nd->name = mon_strndup(p->s + b, e - b);
    if (!strcmp(nd->name, ".")) return 0;
    if (nd->kind == N_PARTIAL) return 0;
    size_t n = 1;
    for (size_t i = b; i < e; i++)
        n += p->s[i] == '.';
    nd->parts = mon_calloc(n, sizeof(*nd->parts));
    size_t start = b;
    for (size_t i = b; i <= e; i++) {
        if (i < e && p->s[i] != '.') continue;
        if (i == start)
            return perr(p, line, "bad tag name '%s' (empty part)", nd->name);
        nd->parts[nd->nparts++] = mon_strndup(p->s + start, i - start);
        start = i + 1;
    }
    return 0;
}

/* {{=<% %>=}}: the content s[b, e) between the two '='. */
static int set_delims(parser_t *p, size_t b, size_t e, int line) {
    trim(p->s, &b, &e);
    size_t o_end = b;
    while (o_end < e && !is_space(p->s[o_end]))
        o_end++;
    size_t c_beg = o_end;
    while (c_beg < e && is_space(p->s[c_beg]))
        c_beg++;
    size_t olen = o_end - b, clen = e - c_beg;
    bool ok = olen > 0 && clen > 0 && olen <= MAX_DELIM && clen <= MAX_DELIM &&
              c_beg > o_end;
    for (size_t i = c_beg; ok && i < e; i++)
        ok = !is_space(p->s[i]);
    if (ok && (memchr(p->s + b, '=', olen) || memchr(p->s + c_beg, '=', clen)))
        ok = false;
    if (!ok)
        return perr(p, line,
                    "bad set-delimiter tag (want two delimiters of 1-%d "
                    "characters without spaces or '=')",
                    MAX_DELIM);
    memcpy(p->otag, p->s + b, olen);
    p->otag[olen] = '\0';
    p->olen = olen;
    memcpy(p->ctag, p->s + c_beg, clen);
    p->ctag[clen] = '\0';
    p->clen = clen;
    return 0;
}

static void add_text(parser_t *p, size_t b, size_t e, int line) {
    if (e <= b) return;
    node_t *nd = block_add(p->blocks[p->depth], N_TEXT, line);
    nd->text = p->s + b;
    nd->len = e - b;
}

/* Handles one tag whose content (after the sigil) is s[b, e). */
static int handle_tag(parser_t *p, char sigil, size_t b, size_t e, int line,
                      const char *indent, size_t indent_len) {
    block_t *blk = p->blocks[p->depth];
    node_t *nd;
    switch (sigil) {
    case '!':
        return 0;
    case '=':
        return set_delims(p, b, e, line);
    case '#':
    case '^':
        if (p->depth == MAX_SECTION_DEPTH)
            return perr(p, line, "sections nested deeper than %d",
                        MAX_SECTION_DEPTH);
        nd = block_add(blk, sigil == '#' ? N_SECTION : N_INVERTED, line);
        if (parse_name(p, nd, b, e, line) < 0) return -1;
        p->open[p->depth++] = nd;
        p->blocks[p->depth] = &nd->body;
        return 0;
    case '/': {
        trim(p->s, &b, &e);
        if (p->depth == 0)
            return perr(p, line,
                        "closing tag '%s/%.*s%s' without an open "
                        "section",
                        p->otag, (int)(e - b), p->s + b, p->ctag);
        node_t *op = p->open[p->depth - 1];
        if (e - b != strlen(op->name) || memcmp(p->s + b, op->name, e - b))
            return perr(p, line,
                        "closing tag '%s/%.*s%s' does not match the open "
                        "section '%s' (line %d)",
                        p->otag, (int)(e - b), p->s + b, p->ctag, op->name,
                        op->line);
        p->depth--;
        return 0;
    }
    case '>':
        nd = block_add(blk, N_PARTIAL, line);
        if (parse_name(p, nd, b, e, line) < 0) return -1;
        if (indent_len) nd->indent = mon_strndup(indent, indent_len);
        return 0;
    case '{':
    case '&':
        nd = block_add(blk, N_RAW, line);
        return parse_name(p, nd, b, e, line);
    default:
        nd = block_add(blk, N_VAR, line);
        return parse_name(p, nd, b, e, line);
    }
}

static int parse(parser_t *p) {
    const char *s = p->s;
    size_t len = p->len, pos = 0, text_start = 0, line_start = 0;
    int line = 1;

    while (pos < len) {
        if (len - pos < p->olen || memcmp(s + pos, p->otag, p->olen)) {
            if (s[pos] == '\n') {
                line++;
                line_start = pos + 1;
            }
            pos++;
            continue;
        }
        size_t tag_start = pos, c = pos + p->olen;
        int tag_line = line;
        char sigil = 0;
        if (c < len && s[c] && strchr("#^/!>&{=", s[c])) sigil = s[c++];

        char closer[MAX_DELIM + 2];
        size_t cl = 0;
        if (sigil == '{' || sigil == '=')
            closer[cl++] = sigil == '{' ? '}' : '=';
        memcpy(closer + cl, p->ctag, p->clen);
        cl += p->clen;
        const char *q = memmem(s + c, len - c, closer, cl);
        if (!q)
            return perr(p, tag_line, "unclosed tag '%s%s' (no '%.*s')", p->otag,
                        sigil == '{' ? "{" : "", (int)cl, closer);
        size_t cend = (size_t)(q - s), tag_end = cend + cl;
        size_t last_nl = SIZE_MAX;
        for (size_t i = tag_start; i < tag_end; i++)
            if (s[i] == '\n') {
                line++;
                last_nl = i;
            }

        /* Standalone: alone on its line but for blanks; the whole line
         * goes, and a partial keeps the leading blanks as indentation. */
        bool standalone = false;
        size_t next = tag_end;
        if (sigil && strchr("#^/!>=", sigil)) {
            size_t i = line_start;
            while (i < tag_start && is_blank(s[i]))
                i++;
            size_t r = tag_end;
            while (r < len && is_blank(s[r]))
                r++;
            if (i == tag_start) {
                if (r == len) {
                    standalone = true;
                    next = len;
                } else if (s[r] == '\n') {
                    standalone = true;
                    next = r + 1;
                } else if (s[r] == '\r' && r + 1 < len && s[r + 1] == '\n') {
                    standalone = true;
                    next = r + 2;
                }
            }
        }
        size_t indent_start = line_start;
        add_text(p, text_start, standalone ? line_start : tag_start, line);
        if (standalone && next > 0 && next <= len && s[next - 1] == '\n' &&
            next > tag_end) {
            line++;
            line_start = next;
        } else if (last_nl != SIZE_MAX) {
            line_start = last_nl + 1;
        }
        size_t cb = c, ce = cend;
        if (handle_tag(p, sigil, cb, ce, tag_line, s + indent_start,
                       standalone && sigil == '>' ? tag_start - indent_start
                                                  : 0) < 0)
            return -1;
        pos = text_start = next;
    }
    add_text(p, text_start, len, line);
    if (p->depth > 0) {
        node_t *op = p->open[p->depth - 1];
        return perr(p, op->line, "unclosed section '%s%c%s%s'", "{{",
                    op->kind == N_SECTION ? '#' : '^', op->name, "}}");
    }
    return 0;
}

mon_mustache_t *mon_mustache_compile(const char *text, size_t len,
                                     const char *name, char *errstr,
                                     size_t errstr_size) {
    mon_mustache_t *tpl = mon_calloc(1, sizeof(*tpl));
    tpl->name = mon_strdup(name ? name : "template");
    tpl->src = mon_malloc(len + 1);
    if (len) memcpy(tpl->src, text, len);
    tpl->src[len] = '\0';
    tpl->len = len;

    parser_t p;
    memset(&p, 0, sizeof(p));
    p.tpl = tpl;
    p.s = tpl->src;
    p.len = len;
    memcpy(p.otag, "{{", 3);
    memcpy(p.ctag, "}}", 3);
    p.olen = p.clen = 2;
    p.blocks[0] = &tpl->root;
    p.errstr = errstr;
    p.errstr_size = errstr_size;
    if (parse(&p) < 0) {
        mon_mustache_destroy(tpl);
        return NULL;
    }
    return tpl;
}

mon_mustache_t *mon_mustache_load(const char *path, char *errstr,
                                  size_t errstr_size) {
    size_t len = 0;
    char *buf = mon_file_read_max(path, MAX_FILE, &len, errstr, errstr_size);
    if (!buf) return NULL;
    mon_mustache_t *tpl =
        mon_mustache_compile(buf, len, path, errstr, errstr_size);
    free(buf);
    return tpl;
}

void mon_mustache_destroy(mon_mustache_t *tpl) {
    if (!tpl) return;
    block_free(&tpl->root);
    free(tpl->name);
    free(tpl->src);
    free(tpl);
}

/* ---- rendering ------------------------------------------------------- */

typedef struct pcache_s {
    char *key; /* name '\n' indent */
    mon_mustache_t *tpl;
    struct pcache_s *next;
} pcache_t;

typedef struct render_s {
    char *out;
    size_t n, cap;
    mon_esc_t esc;
    const mon_mustache_partials_t *partials;
    const cJSON **stack;
    size_t depth, stack_cap;
    int nesting;
    pcache_t *cache;
    char *errstr;
    size_t errstr_size;
    size_t steps; /* nodes visited */
    bool over;    /* MAX_OUTPUT reached: nothing more is written */
} render_t;

static void put(render_t *r, const char *s, size_t n) {
    if (r->over || r->n + n > MAX_OUTPUT) {
        r->over = true;
        return;
    }
    if (r->n + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 256;
        while (cap < r->n + n + 1)
            cap *= 2;
        r->out = mon_realloc(r->out, cap);
        r->cap = cap;
    }
    memcpy(r->out + r->n, s, n);
    r->n += n;
}

static void put_str(render_t *r, const char *s) {
    put(r, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    size_t need;
    uint32_t cp, min;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        need = 2;
        cp = c & 0x1f;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 3;
        cp = c & 0x0f;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 4;
        cp = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return need;
}

static void put_escaped(render_t *r, const char *s, size_t n, mon_esc_t esc) {
    size_t i = 0, run = 0;
    char tmp[8];
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        size_t step = 1;
        if (esc == MON_ESC_HTML) {
            switch (c) {
            case '&':
                rep = "&amp;";
                break;
            case '<':
                rep = "&lt;";
                break;
            case '>':
                rep = "&gt;";
                break;
            case '"':
                rep = "&quot;";
                break;
            case '\'':
                rep = "&#39;";
                break;
            default:
                break;
            }
        } else if (esc == MON_ESC_URL) {
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                  (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                  c == '~')) {
                snprintf(tmp, sizeof(tmp), "%%%02X", c);
                rep = tmp;
            }
        } else if (esc == MON_ESC_JSON) {
            if (c == '"') {
                rep = "\\\"";
            } else if (c == '\\') {
                rep = "\\\\";
            } else if (c < 0x20) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", c);
                rep = tmp;
            } else if (c >= 0x80) {
                step = utf8_len((const unsigned char *)s + i, n - i);
                if (!step) {
                    rep = "\\ufffd";
                    step = 1;
                }
            }
        }
        if (rep) {
            put(r, s + run, i - run);
            put_str(r, rep);
            i += step;
            run = i;
        } else {
            i += step;
        }
    }
    put(r, s + run, n - run);
}

static void fmt_number(double d, char *buf, size_t size) {
    if (!isfinite(d)) {
        buf[0] = '\0';
    } else if (d == 0) {
        snprintf(buf, size, "0");
    } else if (fabs(d) < 1e18 && d == floor(d)) {
        snprintf(buf, size, "%.0f", d);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, size, "%.*g", prec, d);
            if (strtod(buf, NULL) == d) break;
        }
    }
}

static void put_value(render_t *r, const cJSON *v, mon_esc_t esc) {
    char num[40];
    if (!v || cJSON_IsNull(v) || cJSON_IsInvalid(v)) return;
    if (cJSON_IsString(v)) {
        if (v->valuestring)
            put_escaped(r, v->valuestring, strlen(v->valuestring), esc);
    } else if (cJSON_IsNumber(v)) {
        fmt_number(v->valuedouble, num, sizeof(num));
        put_str(r, num);
    } else if (cJSON_IsBool(v)) {
        put_str(r, cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsRaw(v)) {
        if (v->valuestring)
            put_escaped(r, v->valuestring, strlen(v->valuestring), esc);
    } else {
        char *json = cJSON_PrintUnformatted(v);
        if (json) {
            put_escaped(r, json, strlen(json), esc);
            cJSON_free(json);
        }
    }
}

static const cJSON *lookup(const render_t *r, const node_t *nd) {
    if (r->depth == 0) return NULL;
    if (nd->nparts == 0) return r->stack[r->depth - 1];
    const cJSON *v = NULL;
    for (size_t i = r->depth; i-- > 0 && !v;)
        if (cJSON_IsObject(r->stack[i]))
            v = cJSON_GetObjectItemCaseSensitive(r->stack[i], nd->parts[0]);
    for (size_t j = 1; v && j < nd->nparts; j++)
        v = cJSON_IsObject(v)
                ? cJSON_GetObjectItemCaseSensitive(v, nd->parts[j])
                : NULL;
    return v;
}

static bool truthy(const cJSON *v) {
    if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v) || cJSON_IsInvalid(v))
        return false;
    if (cJSON_IsArray(v)) return v->child != NULL;
    if (cJSON_IsString(v)) return v->valuestring && v->valuestring[0];
    if (cJSON_IsNumber(v)) return v->valuedouble != 0;
    return true;
}

static void push(render_t *r, const cJSON *v) {
    if (r->depth == r->stack_cap) {
        r->stack_cap = r->stack_cap ? r->stack_cap * 2 : 16;
        r->stack = mon_realloc(r->stack, r->stack_cap * sizeof(*r->stack));
    }
    r->stack[r->depth++] = v;
}

__attribute__((format(printf, 2, 3))) static int rerr(render_t *r,
                                                      const char *fmt, ...) {
    va_list ap;
    if (r->errstr && r->errstr_size) {
        va_start(ap, fmt);
        vsnprintf(r->errstr, r->errstr_size, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int render_block(render_t *r, const mon_mustache_t *tpl,
                        const block_t *b);

/* Compiles (once per render and indentation) and renders a partial. */
static int render_partial(render_t *r, const node_t *nd) {
    if (!r->partials || !r->partials->lookup) return 0;
    size_t plen = 0;
    const char *ptext =
        r->partials->lookup(r->partials->opaque, nd->name, &plen);
    if (!ptext) return 0;
    const char *indent = nd->indent ? nd->indent : "";
    size_t nlen = strlen(nd->name), ilen = strlen(indent);
    char *key = mon_malloc(nlen + ilen + 2);
    memcpy(key, nd->name, nlen);
    key[nlen] = '\n';
    memcpy(key + nlen + 1, indent, ilen + 1);

    pcache_t *pc;
    for (pc = r->cache; pc && strcmp(pc->key, key); pc = pc->next)
        ;
    if (pc) {
        free(key);
    } else {
        /* Indentation goes before every line of the partial's text. */
        char *text = (char *)ptext;
        size_t tlen = plen;
        if (ilen && plen) {
            size_t lines = 1;
            for (size_t i = 0; i + 1 < plen; i++)
                lines += ptext[i] == '\n';
            text = mon_malloc(plen + lines * ilen + 1);
            tlen = 0;
            bool bol = true;
            for (size_t i = 0; i < plen; i++) {
                if (bol) {
                    memcpy(text + tlen, indent, ilen);
                    tlen += ilen;
                }
                text[tlen++] = ptext[i];
                bol = ptext[i] == '\n' && i + 1 < plen;
            }
        }
        mon_mustache_t *ptpl = mon_mustache_compile(text, tlen, nd->name,
                                                    r->errstr, r->errstr_size);
        if (text != ptext) free(text);
        if (!ptpl) {
            free(key);
            return -1;
        }
        pc = mon_calloc(1, sizeof(*pc));
        pc->key = key;
        pc->tpl = ptpl;
        pc->next = r->cache;
        r->cache = pc;
    }
    return render_block(r, pc->tpl, &pc->tpl->root);
}

static int render_block(render_t *r, const mon_mustache_t *tpl,
                        const block_t *b) {
    if (++r->nesting > MAX_RENDER_DEPTH) {
        r->nesting--;
        return rerr(r, "%s: sections and partials nest deeper than %d",
                    tpl->name, MAX_RENDER_DEPTH);
    }
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        const node_t *nd = &b->v[i];
        const cJSON *v;
        if (++r->steps > MAX_STEPS || r->over) {
            rc = rerr(r, "%s: the render would exceed %u MiB or %u steps",
                      tpl->name, MAX_OUTPUT >> 20, MAX_STEPS);
            break;
        }
        switch (nd->kind) {
        case N_TEXT:
            put(r, nd->text, nd->len);
            break;
        case N_VAR:
            put_value(r, lookup(r, nd), r->esc);
            break;
        case N_RAW:
            put_value(r, lookup(r, nd), MON_ESC_NONE);
            break;
        case N_INVERTED:
            if (!truthy(lookup(r, nd))) rc = render_block(r, tpl, &nd->body);
            break;
        case N_SECTION:
            v = lookup(r, nd);
            if (!truthy(v)) break;
            if (cJSON_IsArray(v)) {
                for (const cJSON *el = v->child; el && rc == 0; el = el->next) {
                    push(r, el);
                    rc = render_block(r, tpl, &nd->body);
                    r->depth--;
                }
            } else {
                push(r, v);
                rc = render_block(r, tpl, &nd->body);
                r->depth--;
            }
            break;
        case N_PARTIAL:
            rc = render_partial(r, nd);
            break;
        }
    }
    r->nesting--;
    return rc;
}

char *mon_mustache_render(const mon_mustache_t *tpl, const cJSON *data,
                          mon_esc_t esc,
                          const mon_mustache_partials_t *partials, char *errstr,
                          size_t errstr_size) {
    render_t r;
    memset(&r, 0, sizeof(r));
    r.esc = esc;
    r.partials = partials;
    r.errstr = errstr;
    r.errstr_size = errstr_size;
    if (data) push(&r, data);
    put(&r, "", 0);
    int rc = render_block(&r, tpl, &tpl->root);
    while (r.cache) {
        pcache_t *next = r.cache->next;
        mon_mustache_destroy(r.cache->tpl);
        free(r.cache->key);
        free(r.cache);
        r.cache = next;
    }
    free(r.stack);
    if (rc < 0) {
        free(r.out);
        return NULL;
    }
    r.out[r.n] = '\0';
    return r.out;
}
