/* SPDX-License-Identifier: Apache-2.0 */
/* mon_sign: HMAC-SHA256 webhook signatures and random ids (see mon_sign.h).
 *
 * Assumes signing is rare next to sending (one MAC per attempt), so the
 * EVP_MAC object is fetched per call rather than cached behind a lock.
 */
#include "monitor/notify/mon_sign.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

int mon_sign_hmac(const void *key, size_t key_len, const void *const *parts,
                  const size_t *lens, size_t n,
                  unsigned char mac[MON_SIGN_MAC_LEN]) {
    EVP_MAC *m = NULL;
    EVP_MAC_CTX *ctx = NULL;
    OSSL_PARAM params[2];
    char digest[] = "SHA256";
    size_t out_len = 0;
    int rc = -1;
    static const unsigned char empty_key[1] = {0};

    m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!m) goto out;
    ctx = EVP_MAC_CTX_new(m);
    if (!ctx) goto out;
    params[0] =
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    /* OpenSSL refuses a NULL key; an empty one is valid HMAC. */
    if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params))
        goto out;
    for (size_t i = 0; i < n; i++)
        if (lens[i] && !EVP_MAC_update(ctx, parts[i], lens[i])) goto out;
    if (!EVP_MAC_final(ctx, mac, &out_len, MON_SIGN_MAC_LEN) ||
        out_len != MON_SIGN_MAC_LEN)
        goto out;
    rc = 0;
out:
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(m);
    return rc;
}

static void to_hex(const unsigned char *b, size_t n, char *out) {
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

/* MAC of "<t_s>.<body>" as 64 hex characters plus NUL. */
static int sign_hex(const char *secret, int64_t t_s, const void *body,
                    size_t body_len, char hexbuf[2 * MON_SIGN_MAC_LEN + 1]) {
    char ts[32];
    unsigned char mac[MON_SIGN_MAC_LEN];
    int tn = snprintf(ts, sizeof(ts), "%" PRId64 ".", t_s);
    const void *parts[2] = {ts, body};
    size_t lens[2] = {(size_t)tn, body_len};
    if (mon_sign_hmac(secret, strlen(secret), parts, lens, 2, mac) != 0)
        return -1;
    to_hex(mac, sizeof(mac), hexbuf);
    return 0;
}

int mon_sign_header(const char *secret, int64_t t_s, const void *body,
                    size_t body_len, char *out, size_t out_size) {
    char hexbuf[2 * MON_SIGN_MAC_LEN + 1];
    if (sign_hex(secret, t_s, body, body_len, hexbuf) != 0) return -1;
    int n = snprintf(out, out_size, "t=%" PRId64 ",v1=%s", t_s, hexbuf);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

bool mon_sign_verify(const char *secret, const char *header, const void *body,
                     size_t body_len, int64_t now_s, int64_t tolerance_s) {
    char hexbuf[2 * MON_SIGN_MAC_LEN + 1];
    const char *v1;
    char *end = NULL;
    long long t;

    if (!secret || !header || strncmp(header, "t=", 2) != 0) return false;
    errno = 0;
    t = strtoll(header + 2, &end, 10);
    if (errno || end == header + 2 || strncmp(end, ",v1=", 4) != 0)
        return false;
    v1 = end + 4;
    if (strlen(v1) != 2 * MON_SIGN_MAC_LEN) return false;
    if ((now_s > t ? now_s - t : t - now_s) > tolerance_s) return false;
    if (sign_hex(secret, (int64_t)t, body, body_len, hexbuf) != 0) return false;
    return CRYPTO_memcmp(hexbuf, v1, 2 * MON_SIGN_MAC_LEN) == 0;
}

int mon_sign_random(void *buf, size_t n) {
    if (n <= (size_t)0x7fffffff && RAND_bytes(buf, (int)n) == 1) return 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            close(fd);
            return -1;
        }
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

int mon_sign_uuid4(char out[MON_SIGN_UUID_LEN]) {
    unsigned char b[16];
    char hexbuf[33];
    if (mon_sign_random(b, sizeof(b)) != 0) return -1;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* variant 10 */
    to_hex(b, sizeof(b), hexbuf);
    snprintf(out, MON_SIGN_UUID_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hexbuf,
             hexbuf + 8, hexbuf + 12, hexbuf + 16, hexbuf + 20);
    return 0;
}
