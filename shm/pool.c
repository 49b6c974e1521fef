/* pool.c - the pool state mapping (see pool.h). */
#include "shm/pool.h"

#include <stddef.h>
#include <sys/mman.h>

struct shm_pools *
shm_pools_create(void)
{
	struct shm_pools *p = mmap(NULL, sizeof(struct shm_pools), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* members are healthy until a check says otherwise (also after a restart) */
	for (unsigned s = 0; s < POOL_SLOTS; s++)
		for (unsigned m = 0; m < POOL_MEMBERS_MAX; m++)
			p->s[s].m[m].up = 1;
	return p;
}

void
shm_pools_destroy(struct shm_pools *p)
{
	if (p != NULL)
		munmap(p, sizeof(*p));
}
