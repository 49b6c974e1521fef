/* pool.c - the pool state mapping (see pool.h). */
#include "shm/pool.h"

#include <stddef.h>
#include <sys/mman.h>

struct shm_pools *
shm_pools_create(void)
{
	void *p = mmap(NULL, sizeof(struct shm_pools), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

void
shm_pools_destroy(struct shm_pools *p)
{
	if (p != NULL)
		munmap(p, sizeof(*p));
}
