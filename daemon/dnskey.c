/*
 * dnskey.c - DNSSEC key pairs: P-256 through OpenSSL 3's EVP interface,
 * Ed25519 through libsodium.
 *
 * A P-256 pair keeps one EVP_PKEY_CTX set up for EVP_PKEY_sign() with
 * SHA-256, and the message digest is computed with libsodium on the stack:
 * EVP_DigestSign() would build a new digest and key context per signature.
 * The DER signature OpenSSL returns is turned into RFC 6605's fixed r || s
 * by a small parser instead of d2i_ECDSA_SIG(), which allocates.
 */
#include "daemon/dnskey.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <sodium.h>

#include "daemon/dd.h"

#define P256_FIELD_LEN    32                       /* bytes of a coordinate, of d, of r and of s */
#define P256_POINT_LEN    (1 + 2 * P256_FIELD_LEN) /* SEC 1 2.3.3 uncompressed: 04 | X | Y */
#define SEC1_UNCOMPRESSED 0x04
#define P256_DER_MAX      72 /* SEQUENCE { INTEGER r, INTEGER s }, each with a sign octet */
#define DER_SEQUENCE      0x30
#define DER_INTEGER       0x02
#define DER_SHORT_MAX     0x7f /* a length in one octet (X.690 8.1.3.4) */
#define ED25519_PUB_LEN   crypto_sign_PUBLICKEYBYTES

struct dnskey_pair {
	uint8_t alg;
	uint8_t pub[DNSSEC_PUBKEY_MAX]; /* the DNSKEY Public Key field */
	size_t publen;
	EVP_PKEY *pkey;       /* P-256 */
	EVP_PKEY_CTX *signer; /* P-256: initialised for EVP_PKEY_sign with SHA-256 */
	uint8_t ed_sk[crypto_sign_SECRETKEYBYTES]; /* Ed25519: seed | public key */
};

/* An OpenSSL call failed: drop its error queue (shared with libcurl's TLS) and say DD_EIO. */
static int
ossl_fail(void)
{
	ERR_clear_error();
	return DD_EIO;
}

/* Writes bn as a big-endian P256_FIELD_LEN-byte field to out. */
static int
field_out(const BIGNUM *bn, uint8_t *out)
{
	return BN_bn2binpad(bn, out, P256_FIELD_LEN) == P256_FIELD_LEN ? 0 : DD_EIO;
}

/* Fills k->pub (X | Y, RFC 6605 4) and the signing context from k->pkey. */
static int
ec_finish(struct dnskey_pair *k)
{
	BIGNUM *x = NULL, *y = NULL;
	int rc = DD_EIO;

	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
	    EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
	    field_out(x, k->pub) < 0 || field_out(y, k->pub + P256_FIELD_LEN) < 0)
		goto failed;
	k->publen = 2 * P256_FIELD_LEN;
	k->signer = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	if (!k->signer || EVP_PKEY_sign_init(k->signer) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(k->signer, EVP_sha256()) != 1)
		goto failed;
	rc = 0;
failed:
	BN_free(x);
	BN_free(y);
	return rc == 0 ? 0 : ossl_fail();
}

static int
ec_generate(struct dnskey_pair *k)
{
	k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!k->pkey)
		return ossl_fail();
	return ec_finish(k);
}

/* SEC 1 encoding of the public point d * G, into pt (P256_POINT_LEN bytes). */
static int
ec_public_point(const EC_GROUP *g, const BIGNUM *d, uint8_t pt[P256_POINT_LEN])
{
	EC_POINT *q = EC_POINT_new(g);
	int rc = DD_EIO;

	if (q && EC_POINT_mul(g, q, d, NULL, NULL, NULL) == 1 &&
	    EC_POINT_point2oct(g, q, POINT_CONVERSION_UNCOMPRESSED, pt, P256_POINT_LEN, NULL) ==
	            P256_POINT_LEN)
		rc = 0;
	EC_POINT_free(q);
	return rc;
}

/* An EVP_PKEY of selection (EVP_PKEY_KEYPAIR or EVP_PKEY_PUBLIC_KEY) from P-256 parameters. */
static EVP_PKEY *
ec_fromdata(const uint8_t pt[P256_POINT_LEN], const BIGNUM *d, int selection)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *pkey = NULL;

	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, SN_X9_62_prime256v1,
	                                     0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, P256_POINT_LEN) ||
	    (d && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d)))
		goto failed;
	/* d is a secure BIGNUM, so its copy in params is wiped when params is freed */
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, selection, params) != 1)
		pkey = NULL;
failed:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return pkey;
}

/* Rebuilds the pair from the scalar d: OpenSSL 3 does not derive the public point itself. */
static int
ec_from_private(struct dnskey_pair *k, const uint8_t *priv)
{
	EC_GROUP *g = EC_GROUP_new_by_curve_name_ex(NULL, NULL, NID_X9_62_prime256v1);
	BIGNUM *d = BN_secure_new();
	uint8_t pt[P256_POINT_LEN];
	int rc = DD_EIO;

	if (!g || !d || !BN_bin2bn(priv, P256_FIELD_LEN, d))
		goto failed;
	BN_set_flags(d, BN_FLG_CONSTTIME);
	/* a private key is 1 <= d < n (SEC 1 3.2.1) */
	if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0) {
		rc = DD_EINVAL;
		goto failed;
	}
	if (ec_public_point(g, d, pt) < 0)
		goto failed;
	k->pkey = ec_fromdata(pt, d, EVP_PKEY_KEYPAIR);
	if (k->pkey)
		rc = ec_finish(k);
failed:
	BN_clear_free(d);
	EC_GROUP_free(g);
	if (rc == DD_EIO)
		ERR_clear_error();
	return rc;
}

static int
ec_private(const struct dnskey_pair *k, uint8_t *out)
{
	BIGNUM *d = NULL;
	int rc = DD_EIO;

	if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1)
		rc = field_out(d, out);
	BN_clear_free(d);
	return rc == 0 ? P256_FIELD_LEN : ossl_fail();
}

/* One INTEGER of the DER signature at *pos, right-aligned into out (P256_FIELD_LEN bytes). */
static int
der_integer(const uint8_t *der, size_t len, size_t *pos, uint8_t *out)
{
	const uint8_t *p;
	size_t n;

	if (len - *pos < 2 || der[*pos] != DER_INTEGER || der[*pos + 1] > DER_SHORT_MAX)
		return DD_EIO;
	n = der[*pos + 1];
	p = der + *pos + 2;
	if (n == 0 || n > len - *pos - 2)
		return DD_EIO;
	*pos += 2 + n;
	while (n > 0 && *p == 0) { /* the sign octet of a positive integer */
		p++;
		n--;
	}
	if (n > P256_FIELD_LEN)
		return DD_EIO;
	memset(out, 0, P256_FIELD_LEN - n);
	memcpy(out + P256_FIELD_LEN - n, p, n);
	return 0;
}

/* ECDSA-Sig-Value (RFC 3279 2.2.3) -> r | s, each P256_FIELD_LEN bytes (RFC 6605 4). */
static int
der_to_rs(const uint8_t *der, size_t len, uint8_t sig[DNSSEC_SIG_LEN])
{
	size_t pos = 2;

	if (len < 2 || der[0] != DER_SEQUENCE || der[1] != len - 2)
		return DD_EIO;
	if (der_integer(der, len, &pos, sig) < 0 ||
	    der_integer(der, len, &pos, sig + P256_FIELD_LEN) < 0 || pos != len)
		return DD_EIO;
	return 0;
}

static int
ec_sign(const struct dnskey_pair *k, const uint8_t *data, size_t len, uint8_t *sig)
{
	uint8_t md[crypto_hash_sha256_BYTES];
	uint8_t der[P256_DER_MAX];
	size_t derlen = sizeof(der);

	crypto_hash_sha256(md, data, len);
	if (EVP_PKEY_sign(k->signer, der, &derlen, md, sizeof(md)) != 1)
		return ossl_fail();
	return der_to_rs(der, derlen, sig);
}

/* r | s -> a DER ECDSA-Sig-Value in der (P256_DER_MAX bytes); returns its length or 0. */
static size_t
rs_to_der(const uint8_t sig[DNSSEC_SIG_LEN], uint8_t der[P256_DER_MAX])
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, P256_FIELD_LEN, NULL);
	BIGNUM *ss = BN_bin2bn(sig + P256_FIELD_LEN, P256_FIELD_LEN, NULL);
	size_t n = 0;

	if (s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1) {
		r = ss = NULL; /* s owns them now */
		if (i2d_ECDSA_SIG(s, NULL) <= P256_DER_MAX) {
			uint8_t *p = der;
			int len = i2d_ECDSA_SIG(s, &p);
			n = len > 0 ? (size_t)len : 0;
		}
	}
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return n;
}

static int
ec_verify(const uint8_t *pub, size_t publen, const uint8_t *data, size_t len, const uint8_t *sig)
{
	uint8_t pt[P256_POINT_LEN], der[P256_DER_MAX];
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *pkey = NULL;
	size_t derlen;
	int rc = DD_EIO;

	if (publen != 2 * P256_FIELD_LEN)
		return DD_EINVAL;
	pt[0] = SEC1_UNCOMPRESSED;
	memcpy(pt + 1, pub, publen);
	pkey = ec_fromdata(pt, NULL, EVP_PKEY_PUBLIC_KEY);
	if (!pkey) {
		rc = DD_EINVAL; /* not a point of P-256 */
		goto failed;
	}
	derlen = rs_to_der(sig, der);
	md = EVP_MD_CTX_new();
	if (derlen == 0 || !md || EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) != 1)
		goto failed;
	rc = EVP_DigestVerify(md, der, derlen, data, len) == 1 ? 0 : DD_EBADSIG;
failed:
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pkey);
	ERR_clear_error();
	return rc;
}

static int
ed_from_seed(struct dnskey_pair *k, const uint8_t *seed)
{
	if (crypto_sign_seed_keypair(k->pub, k->ed_sk, seed) != 0)
		return DD_EIO;
	k->publen = ED25519_PUB_LEN;
	return 0;
}

static int
ed_generate(struct dnskey_pair *k)
{
	if (crypto_sign_keypair(k->pub, k->ed_sk) != 0)
		return DD_EIO;
	k->publen = ED25519_PUB_LEN;
	return 0;
}

/* Hands over *k on rc == 0, frees it otherwise. */
static int
pair_done(struct dnskey_pair *k, int rc, struct dnskey_pair **out)
{
	if (rc < 0) {
		dnskey_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

static struct dnskey_pair *
pair_new(uint8_t alg)
{
	struct dnskey_pair *k = calloc(1, sizeof(*k));

	if (k)
		k->alg = alg;
	return k;
}

int
dnskey_generate(uint8_t alg, struct dnskey_pair **out)
{
	struct dnskey_pair *k;

	if (alg != DNSSEC_ALG_ECDSAP256SHA256 && alg != DNSSEC_ALG_ED25519)
		return DD_ENOTIMP;
	k = pair_new(alg);
	if (!k)
		return DD_ENOMEM;
	return pair_done(k, alg == DNSSEC_ALG_ED25519 ? ed_generate(k) : ec_generate(k), out);
}

int
dnskey_from_private(uint8_t alg, const uint8_t *priv, size_t len, struct dnskey_pair **out)
{
	struct dnskey_pair *k;

	if (alg != DNSSEC_ALG_ECDSAP256SHA256 && alg != DNSSEC_ALG_ED25519)
		return DD_ENOTIMP;
	if (!priv || len != DNSKEY_PRIVATE_LEN)
		return DD_EINVAL;
	k = pair_new(alg);
	if (!k)
		return DD_ENOMEM;
	return pair_done(
	        k, alg == DNSSEC_ALG_ED25519 ? ed_from_seed(k, priv) : ec_from_private(k, priv),
	        out);
}

uint8_t
dnskey_alg(const struct dnskey_pair *k)
{
	return k->alg;
}

int
dnskey_private(const struct dnskey_pair *k, uint8_t *out, size_t outsz)
{
	if (!out || outsz < DNSKEY_PRIVATE_LEN)
		return DD_ENOSPC;
	if (k->alg == DNSSEC_ALG_ECDSAP256SHA256)
		return ec_private(k, out);
	crypto_sign_ed25519_sk_to_seed(out, k->ed_sk);
	return DNSKEY_PRIVATE_LEN;
}

int
dnskey_public(const struct dnskey_pair *k, uint8_t *out, size_t outsz)
{
	if (!out || outsz < k->publen)
		return DD_ENOSPC;
	memcpy(out, k->pub, k->publen);
	return (int)k->publen;
}

int
dnskey_sign(const struct dnskey_pair *k, const uint8_t *data, size_t len,
            uint8_t sig[DNSSEC_SIG_LEN])
{
	if (k->alg == DNSSEC_ALG_ECDSAP256SHA256)
		return ec_sign(k, data, len, sig);
	/* RFC 8080 4: PureEdDSA over the data itself */
	return crypto_sign_detached(sig, NULL, data, len, k->ed_sk) == 0 ? 0 : DD_EIO;
}

void
dnskey_free(struct dnskey_pair *k)
{
	if (!k)
		return;
	EVP_PKEY_CTX_free(k->signer); /* OpenSSL clears the private scalar as it frees it */
	EVP_PKEY_free(k->pkey);
	sodium_memzero(k, sizeof(*k));
	free(k);
}

int
dnskey_verify(uint8_t alg, const uint8_t *pub, size_t publen, const uint8_t *data, size_t len,
              const uint8_t sig[DNSSEC_SIG_LEN])
{
	if (alg == DNSSEC_ALG_ECDSAP256SHA256)
		return ec_verify(pub, publen, data, len, sig);
	if (alg != DNSSEC_ALG_ED25519)
		return DD_ENOTIMP;
	if (publen != ED25519_PUB_LEN)
		return DD_EINVAL;
	return crypto_sign_verify_detached(sig, data, len, pub) == 0 ? 0 : DD_EBADSIG;
}
