/*
 * dnskey.h - DNSSEC key pairs: generate, load from the private key,
 * export, sign and verify, for DNSSEC_ALG_ECDSAP256SHA256 (RFC 6605,
 * OpenSSL) and DNSSEC_ALG_ED25519 (RFC 8080, libsodium).  The wire forms
 * around them (DNSKEY RDATA, the data an RRSIG signs) are in dns/dnssec.h.
 *
 * A struct dnskey_pair is opaque and heap-allocated: dnskey_generate() and
 * dnskey_from_private() hand one over, dnskey_free() wipes and frees it.
 * A P-256 pair keeps an OpenSSL signing context, so one pair signs in one
 * thread at a time (processes each hold their own copy after fork anyway).
 * The program must have called sodium_init().
 *
 * Return codes: DD_ENOTIMP (an algorithm other than the two above),
 * DD_EINVAL (a private or public key of the wrong length or value),
 * DD_ENOSPC (out too small), DD_ENOMEM, DD_EIO (OpenSSL failed for another
 * reason; its error queue is cleared), DD_EBADSIG (dnskey_verify: the
 * signature does not verify).
 */
#ifndef DD_DAEMON_DNSKEY_H
#define DD_DAEMON_DNSKEY_H

#include <stddef.h>
#include <stdint.h>

#include "dns/dnssec.h"

#define DNSKEY_PRIVATE_LEN 32 /* P-256: the scalar d; Ed25519: the seed (RFC 8080 6) */

struct dnskey_pair;

/* A new random key pair of algorithm alg in *out.  Returns 0 or an error. */
int dnskey_generate(uint8_t alg, struct dnskey_pair **out);

/*
 * The key pair of algorithm alg whose private key is the len
 * (DNSKEY_PRIVATE_LEN) bytes at priv, as a BIND/Knot "PrivateKey:" field
 * holds it (base64-decoded): the big-endian scalar d for P-256 (1 <= d <
 * the group order), the 32-byte seed for Ed25519.  Returns 0 or an error.
 */
int dnskey_from_private(uint8_t alg, const uint8_t *priv, size_t len, struct dnskey_pair **out);

/* The pair's algorithm. */
uint8_t dnskey_alg(const struct dnskey_pair *k);

/*
 * Writes the private key (the form dnskey_from_private() takes) to out.
 * Returns DNSKEY_PRIVATE_LEN, DD_ENOSPC or DD_EIO.  The caller wipes out.
 */
int dnskey_private(const struct dnskey_pair *k, uint8_t *out, size_t outsz);

/*
 * Writes the DNSKEY Public Key field to out: 64 bytes X || Y for P-256
 * (RFC 6605 4), 32 bytes for Ed25519 (RFC 8080 3).  Returns its length or
 * DD_ENOSPC.
 */
int dnskey_public(const struct dnskey_pair *k, uint8_t *out, size_t outsz);

/*
 * Signs len bytes of data (from dnssec_sign_data) into sig: P-256 ECDSA
 * over SHA-256 as r || s, 32 bytes each (RFC 6605 4), or Ed25519 (RFC 8080
 * 4).  Returns 0 or DD_EIO.
 */
int dnskey_sign(const struct dnskey_pair *k, const uint8_t *data, size_t len,
                uint8_t sig[DNSSEC_SIG_LEN]);

/* Wipes the private key and frees k; NULL is ignored. */
void dnskey_free(struct dnskey_pair *k);

/*
 * Checks sig over data with the DNSKEY Public Key field pub (publen bytes)
 * of algorithm alg.  For tests and self-checks; allocates.  Returns 0 if
 * the signature verifies, DD_EBADSIG if not, DD_EINVAL (pub of the wrong
 * length or not a point of the curve), DD_ENOTIMP, DD_ENOMEM or DD_EIO.
 */
int dnskey_verify(uint8_t alg, const uint8_t *pub, size_t publen, const uint8_t *data, size_t len,
                  const uint8_t sig[DNSSEC_SIG_LEN]);

#endif
