/* SPDX-License-Identifier: Apache-2.0 */
/* mon_sign: webhook signing (HMAC-SHA256) and random incident ids.
 *
 * A signed webhook carries the header
 *
 *   X-Warren-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
 *                       "<t>.<body>")>
 *
 * so a receiver recomputes the MAC over the timestamp, a dot and the raw
 * body bytes, compares in constant time, and rejects old timestamps to
 * stop replays (the scheme Stripe and GitHub use). The hex is lower case,
 * 64 characters. Built on OpenSSL's EVP_MAC (3.0); every function is
 * thread-safe and keeps no state between calls.
 */
#ifndef MON_SIGN_H
#define MON_SIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bytes of an HMAC-SHA256 and room for the signature header value
 * ("t=" + 20 digits + ",v1=" + 64 hex + NUL). */
#define MON_SIGN_MAC_LEN 32
#define MON_SIGN_HEADER_MAX 96
/* A UUID in text form plus its NUL. */
#define MON_SIGN_UUID_LEN 37

/* HMAC-SHA256 of the concatenation of `n` parts (parts[i], lens[i]) with
 * `key`; writes 32 bytes to mac. Returns 0, or -1 when OpenSSL fails (no
 * SHA-256 provider). No allocation survives the call. */
int mon_sign_hmac(const void *key, size_t key_len, const void *const *parts,
                  const size_t *lens, size_t n,
                  unsigned char mac[MON_SIGN_MAC_LEN]);

/* Writes the X-Warren-Signature value "t=<t_s>,v1=<hex>" for body under
 * secret into out (at least MON_SIGN_HEADER_MAX bytes). Returns 0, or -1
 * when OpenSSL fails or out is too small. */
int mon_sign_header(const char *secret, int64_t t_s, const void *body,
                    size_t body_len, char *out, size_t out_size);

/* Checks a header value made by mon_sign_header: parses t and v1, rejects
 * |now_s - t| > tolerance_s, recomputes the MAC and compares in constant
 * time. Returns true only when everything holds. For receivers and
 * tests. */
bool mon_sign_verify(const char *secret, const char *header, const void *body,
                     size_t body_len, int64_t now_s, int64_t tolerance_s);

/* Fills buf with n random bytes from OpenSSL's RAND_bytes, falling back
 * to /dev/urandom. Returns 0, or -1 when neither source works. */
int mon_sign_random(void *buf, size_t n);

/* Writes a random (version 4, RFC 9562) UUID in lower-case text form,
 * "xxxxxxxx-xxxx-4xxx-Yxxx-xxxxxxxxxxxx", to out. Returns 0 or -1 (no
 * randomness available). */
int mon_sign_uuid4(char out[MON_SIGN_UUID_LEN]);

#endif
