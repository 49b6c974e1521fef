/* link.c - DNS worker <-> writer messages (see link.h). */
#include "workers/link.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int
link_send(int link, const struct link_hdr *h, const void *payload, int fd)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int))];
	} cm;
	struct iovec iov[2] = {{.iov_base = (void *)(uintptr_t)h, .iov_len = sizeof(*h)},
			       {.iov_base = (void *)(uintptr_t)payload, .iov_len = h->len}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = h->len ? 2 : 1};

	if (fd >= 0) {
		struct cmsghdr *c;
		memset(&cm, 0, sizeof(cm));
		m.msg_control = cm.buf;
		m.msg_controllen = sizeof(cm.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	for (;;) {
		ssize_t r = sendmsg(link, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (r >= 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

long
link_recv(int link, struct link_hdr *h, void *buf, size_t cap, int *fd)
{
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(int) * 4)];
	} cm;
	struct iovec iov[2] = {{.iov_base = h, .iov_len = sizeof(*h)},
			       {.iov_base = buf, .iov_len = cap}};
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2, .msg_control = cm.buf,
			   .msg_controllen = sizeof(cm.buf)};
	ssize_t r;

	*fd = -1;
	do
		r = recvmsg(link, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int got;
			memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*fd < 0)
				*fd = got;
			else
				close(got);
		}
	}
	if ((size_t)r < sizeof(*h) || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    (size_t)r - sizeof(*h) != h->len || h->peer_len > sizeof(h->peer) ||
	    h->ctrl_len > LINK_CTRL_MAX) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		errno = EPROTO;
		return -1;
	}
	return (long)h->len;
}
