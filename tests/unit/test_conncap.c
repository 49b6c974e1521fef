/* test_conncap.c - connections per client address (http/conncap.c). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "daemon/dd.h"
#include "http/conncap.h"
#include "tests/unit/tap.h"

#define MODEL_ADDRS 600
#define MODEL_STEPS 200000
#define MODEL_CAP   5

static struct sockaddr_storage
v4(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	in->sin_family = AF_INET;
	in->sin_port = htons(40000);
	inet_pton(AF_INET, a, &in->sin_addr);
	return ss;
}

static struct sockaddr_storage
v6(const char *a)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	in6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, a, &in6->sin6_addr);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

static void
test_cap(void)
{
	struct conncap *cc = conncap_create(64, 3);
	struct sockaddr_storage a = v4("127.0.0.1"), b = v4("127.0.0.2");
	struct sockaddr_storage a6 = v6("::ffff:127.0.0.1"), c6 = v6("2001:db8::1");
	struct sockaddr_storage un;

	ok(cc != NULL, "create");
	for (int i = 0; i < 3; i++)
		is_int(conncap_take(cc, SA(a)), 0, "127.0.0.1 connection %d of 3", i + 1);
	is_int(conncap_take(cc, SA(a)), DD_EAGAIN, "127.0.0.1 connection 4: over the cap");
	is_int(conncap_take(cc, SA(a6)), DD_EAGAIN, "::ffff:127.0.0.1 is the same address");
	is_int(conncap_count(cc, SA(a)), 3, "127.0.0.1 has 3 (refusals are not counted)");
	is_int(conncap_take(cc, SA(b)), 0, "127.0.0.2 still gets in");
	is_int(conncap_take(cc, SA(c6)), 0, "2001:db8::1 gets in");
	is_int(conncap_total(cc), 5, "5 in all");
	conncap_release(cc, SA(a6));
	is_int(conncap_count(cc, SA(a)), 2, "a release through the mapped form counts");
	is_int(conncap_take(cc, SA(a)), 0, "127.0.0.1 gets in again after one closed");
	for (int i = 0; i < 3; i++)
		conncap_release(cc, SA(a));
	is_int(conncap_count(cc, SA(a)), 0, "127.0.0.1 has none after three releases");
	conncap_release(cc, SA(a));
	is_int(conncap_count(cc, SA(a)), 0, "a release without a take changes nothing");
	is_int(conncap_total(cc), 2, "2 left in all");
	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	is_int(conncap_take(cc, SA(un)), 1, "a unix socket peer is not counted");
	is_int(conncap_total(cc), 2, "... and not in the total");
	conncap_destroy(cc);
}

static void
test_full(void)
{
	struct conncap *cc = conncap_create(4, 1);
	struct sockaddr_storage ss;
	char a[32];
	int i, rc = 0;

	for (i = 0; i < 100000; i++) {
		snprintf(a, sizeof(a), "10.0.%d.%d", i / 256, i % 256);
		ss = v4(a);
		if ((rc = conncap_take(cc, SA(ss))) != 0)
			break;
	}
	is_int(rc, DD_ENOSPC, "a full table refuses a new address");
	ok(i >= 4 && i < 100, "it took %d addresses (at least the 4 asked for)", i);
	conncap_destroy(cc);
}

/* Random takes and releases over a few hundred addresses in a small table,
 * checked against plain counters: collisions and backward-shift deletion
 * keep every count right. */
static void
test_model(void)
{
	static uint32_t want[MODEL_ADDRS];
	struct conncap *cc = conncap_create(MODEL_ADDRS, MODEL_CAP);
	struct sockaddr_storage ss;
	uint32_t total = 0, bad = 0;
	unsigned seed = 17;

	for (int step = 0; step < MODEL_STEPS; step++) {
		int k = rand_r(&seed) % MODEL_ADDRS;
		int rc;
		ss = (k & 1) ? v6("2001:db8::") : v4("0.0.0.0");
		if (k & 1)
			memcpy(&((struct sockaddr_in6 *)&ss)->sin6_addr.s6_addr[12], &k, sizeof(k));
		else
			memcpy(&((struct sockaddr_in *)&ss)->sin_addr, &k, sizeof(k));
		if (rand_r(&seed) % 2) {
			rc = conncap_take(cc, SA(ss));
			if (rc != (want[k] < MODEL_CAP ? 0 : DD_EAGAIN))
				bad++;
			if (rc == 0) {
				want[k]++;
				total++;
			}
		} else if (want[k] > 0) {
			conncap_release(cc, SA(ss));
			want[k]--;
			total--;
		}
		if (conncap_count(cc, SA(ss)) != want[k])
			bad++;
	}
	is_int(bad, 0, "%d random takes and releases agree with plain counters", MODEL_STEPS);
	is_int(conncap_total(cc), total, "total agrees");
	conncap_destroy(cc);
}

int
main(void)
{
	test_cap();
	test_full();
	test_model();
	return tap_done();
}
