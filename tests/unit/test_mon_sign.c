/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests for mon_sign: HMAC-SHA256 against RFC 4231 vectors, the
 * X-Warren-Signature header checked with an independent one-shot HMAC(),
 * verification, and UUID v4 ids.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <regex.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "monitor/notify/mon_sign.h"

/* Inline arrays: Criterion runs each test in a fresh process, where
 * pointers into the parent's data would not be valid. */
typedef struct vec_s {
    char key_hex[64];
    char data[64];
    char mac_hex[65];
} vec_t;

static void unhex(const char *hex, unsigned char *out, size_t *n) {
    *n = 0;
    for (; hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[(*n)++] = (unsigned char)v;
    }
}

static void hex(const unsigned char *b, size_t n, char *out) {
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

ParameterizedTestParameters(mon_sign, hmac_matches_rfc4231) {
    static vec_t v[] = {
        {"0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "Hi There",
         "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
        {"4a656665", "what do ya want for nothing?",
         "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
    };
    return cr_make_param_array(vec_t, v, sizeof(v) / sizeof(v[0]));
}

ParameterizedTest(vec_t *v, mon_sign, hmac_matches_rfc4231) {
    unsigned char key[64], mac[MON_SIGN_MAC_LEN];
    char out[2 * MON_SIGN_MAC_LEN + 1];
    size_t kl;
    unhex(v->key_hex, key, &kl);
    /* Split the message in two parts to exercise the streaming update. */
    size_t dl = strlen(v->data), half = dl / 2;
    const void *parts[2] = {v->data, v->data + half};
    size_t lens[2] = {half, dl - half};
    cr_assert_eq(mon_sign_hmac(key, kl, parts, lens, 2, mac), 0);
    hex(mac, sizeof(mac), out);
    cr_assert_str_eq(out, v->mac_hex);
}

Test(mon_sign, header_is_t_dot_body_hmac_verified_independently) {
    const char *secret = "whsec_test";
    const char *body = "{\"event\":\"open\",\"group\":\"g\"}";
    char h[MON_SIGN_HEADER_MAX], msg[256], want[128];
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int ml = 0;
    cr_assert_eq(
        mon_sign_header(secret, 1700000000, body, strlen(body), h, sizeof(h)),
        0);
    snprintf(msg, sizeof(msg), "1700000000.%s", body);
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg,
         strlen(msg), mac, &ml);
    cr_assert_eq(ml, 32u);
    char hx[65];
    hex(mac, ml, hx);
    snprintf(want, sizeof(want), "t=1700000000,v1=%s", hx);
    cr_assert_str_eq(h, want);
}

Test(mon_sign, verify_accepts_own_header_and_rejects_tampering) {
    const char *body = "payload";
    char h[MON_SIGN_HEADER_MAX];
    cr_assert_eq(mon_sign_header("k", 1000, body, 7, h, sizeof(h)), 0);
    cr_assert(mon_sign_verify("k", h, body, 7, 1000, 300));
    cr_assert(mon_sign_verify("k", h, body, 7, 1299, 300));
    cr_assert_not(mon_sign_verify("k", h, body, 7, 1301, 300),
                  "too old must be rejected");
    cr_assert_not(mon_sign_verify("other", h, body, 7, 1000, 300));
    cr_assert_not(mon_sign_verify("k", h, "payloae", 7, 1000, 300));
    h[strlen(h) - 1] = h[strlen(h) - 1] == '0' ? '1' : '0';
    cr_assert_not(mon_sign_verify("k", h, body, 7, 1000, 300));
    cr_assert_not(mon_sign_verify("k", "t=1000", body, 7, 1000, 300));
    cr_assert_not(mon_sign_verify("k", "v1=00,t=1", body, 7, 1000, 300));
}

Test(mon_sign, header_refuses_a_small_buffer) {
    char h[20];
    cr_assert_eq(mon_sign_header("k", 1, "x", 1, h, sizeof(h)), -1);
}

Test(mon_sign, uuid4_has_version_and_variant_and_differs) {
    char a[MON_SIGN_UUID_LEN], b[MON_SIGN_UUID_LEN];
    regex_t re;
    cr_assert_eq(regcomp(&re,
                         "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-"
                         "[89ab][0-9a-f]{3}-[0-9a-f]{12}$",
                         REG_EXTENDED | REG_NOSUB),
                 0);
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(mon_sign_uuid4(a), 0);
        cr_assert_eq(mon_sign_uuid4(b), 0);
        cr_assert_eq(regexec(&re, a, 0, NULL, 0), 0, "bad uuid %s", a);
        cr_assert_str_neq(a, b);
    }
    regfree(&re);
}
