/*
 * A stand-in for the kernel's IPVS socket options, preloaded into the real
 * ipvsadm on a host without IPVS so that its argument checks, messages, exit
 * codes and IPv4 listings can be compared with lvs-director's.
 *
 * ipvsadm first tries generic netlink; when the IPVS family is missing it
 * falls back to getsockopt/setsockopt on a raw socket, which this library
 * answers:
 *   FAKE_IPVS_TABLE  file of "S ..." (service) and "D ..." (destination)
 *                    lines, see parse_table() below; absent: empty table.
 *   FAKE_IPVS_ERRNO  errno every set operation fails with (0 or unset: ok).
 *   FAKE_IPVS_TIMEOUT "tcp tcpfin udp" (default "900 120 300").
 *   FAKE_IPVS_DAEMON "state ifname syncid" for the first daemon slot.
 * Test support only: never built into the project's binaries.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#define BASE (64 + 1024 + 64)
#define GET_VERSION BASE
#define GET_INFO (BASE + 1)
#define GET_SERVICES (BASE + 2)
#define GET_SERVICE (BASE + 3)
#define GET_DESTS (BASE + 4)
#define GET_TIMEOUT (BASE + 6)
#define GET_DAEMON (BASE + 7)

struct stats_user {
	uint32_t conns, inpkts, outpkts;
	uint64_t inbytes, outbytes;
	uint32_t cps, inpps, outpps, inbps, outbps;
};

struct svc_kern {
	uint16_t protocol;
	uint32_t addr;
	uint16_t port;
	uint32_t fwmark;
	char sched_name[16];
	unsigned flags, timeout;
	uint32_t netmask;
	unsigned num_dests;
	struct stats_user stats;
};

struct dest_kern {
	uint32_t addr;
	uint16_t port;
	unsigned conn_flags;
	int weight;
	uint32_t u_threshold, l_threshold, activeconns, inactconns, persistconns;
	struct stats_user stats;
};

#define MAX_SVC 64
#define MAX_DEST 64
static struct svc_kern svcs[MAX_SVC];
static struct dest_kern dests[MAX_SVC][MAX_DEST];
static unsigned nsvc;
static int loaded;

static int read_stats(char **save, struct stats_user *s)
{
	unsigned long long v[10];
	for (int i = 0; i < 10; i++) {
		char *t = strtok_r(NULL, " \t\n", save);
		if (!t)
			return -1;
		v[i] = strtoull(t, NULL, 10);
	}
	s->conns = v[0]; s->inpkts = v[1]; s->outpkts = v[2];
	s->inbytes = v[3]; s->outbytes = v[4]; s->cps = v[5];
	s->inpps = v[6]; s->outpps = v[7]; s->inbps = v[8]; s->outbps = v[9];
	return 0;
}

/*
 * S proto addr port fwmark sched flags timeout netmask <10 stats>
 * D addr port conn_flags weight uthr lthr active inact persist <10 stats>
 * (proto as a number, addresses dotted, stats in ip_vs_stats_user order)
 */
static void parse_table(void)
{
	const char *path = getenv("FAKE_IPVS_TABLE");
	char line[1024];
	FILE *f;

	if (loaded)
		return;
	loaded = 1;
	if (!path || !(f = fopen(path, "r")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char *save = NULL;
		char *kind = strtok_r(line, " \t\n", &save);
		if (!kind)
			continue;
		if (!strcmp(kind, "S") && nsvc < MAX_SVC) {
			struct svc_kern *s = &svcs[nsvc];
			struct in_addr a, m;
			s->protocol = atoi(strtok_r(NULL, " ", &save));
			inet_aton(strtok_r(NULL, " ", &save), &a);
			s->addr = a.s_addr;
			s->port = htons(atoi(strtok_r(NULL, " ", &save)));
			s->fwmark = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			snprintf(s->sched_name, 16, "%s", strtok_r(NULL, " ", &save));
			s->flags = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			s->timeout = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			inet_aton(strtok_r(NULL, " ", &save), &m);
			s->netmask = m.s_addr;
			read_stats(&save, &s->stats);
			nsvc++;
		} else if (!strcmp(kind, "D") && nsvc > 0) {
			struct svc_kern *s = &svcs[nsvc - 1];
			struct dest_kern *d;
			struct in_addr a;
			if (s->num_dests >= MAX_DEST)
				continue;
			d = &dests[nsvc - 1][s->num_dests];
			inet_aton(strtok_r(NULL, " ", &save), &a);
			d->addr = a.s_addr;
			d->port = htons(atoi(strtok_r(NULL, " ", &save)));
			d->conn_flags = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			d->weight = atoi(strtok_r(NULL, " ", &save));
			d->u_threshold = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			d->l_threshold = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			d->activeconns = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			d->inactconns = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			d->persistconns = strtoul(strtok_r(NULL, " ", &save), NULL, 10);
			read_stats(&save, &d->stats);
			s->num_dests++;
		}
	}
	fclose(f);
}

static int find_svc(const struct svc_kern *key)
{
	for (unsigned i = 0; i < nsvc; i++) {
		if (key->fwmark ? svcs[i].fwmark == key->fwmark
				: (!svcs[i].fwmark && svcs[i].protocol == key->protocol &&
				   svcs[i].addr == key->addr && svcs[i].port == key->port))
			return i;
	}
	return -1;
}

int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);

	if (level != IPPROTO_IP || name < BASE || name > GET_DAEMON) {
		if (!real)
			real = dlsym(RTLD_NEXT, "getsockopt");
		return real(fd, level, name, val, len);
	}
	parse_table();
	switch (name) {
	case GET_VERSION:
		snprintf(val, *len, "IP Virtual Server version 1.2.1 (size=4096)");
		return 0;
	case GET_INFO: {
		unsigned *info = val;
		info[0] = 0x010201;
		info[1] = 4096;
		info[2] = nsvc;
		return 0;
	}
	case GET_SERVICES: {
		struct {
			unsigned num_services;
			struct svc_kern entries[];
		} *g = val;
		unsigned want = g->num_services;
		for (unsigned i = 0; i < nsvc && i < want; i++)
			g->entries[i] = svcs[i];
		g->num_services = nsvc < want ? nsvc : want;
		return 0;
	}
	case GET_SERVICE: {
		struct svc_kern *s = val;
		int i = find_svc(s);
		if (i < 0) {
			errno = ESRCH;
			return -1;
		}
		*s = svcs[i];
		return 0;
	}
	case GET_DESTS: {
		struct {
			uint16_t protocol;
			uint32_t addr;
			uint16_t port;
			uint32_t fwmark;
			unsigned num_dests;
			struct dest_kern entries[];
		} *g = val;
		struct svc_kern key = { .protocol = g->protocol, .addr = g->addr,
					.port = g->port, .fwmark = g->fwmark };
		int i = find_svc(&key);
		if (i < 0) {
			errno = ESRCH;
			return -1;
		}
		for (unsigned j = 0; j < svcs[i].num_dests && j < g->num_dests; j++)
			g->entries[j] = dests[i][j];
		return 0;
	}
	case GET_TIMEOUT: {
		int *t = val;
		const char *e = getenv("FAKE_IPVS_TIMEOUT");
		t[0] = 900; t[1] = 120; t[2] = 300;
		if (e)
			sscanf(e, "%d %d %d", &t[0], &t[1], &t[2]);
		return 0;
	}
	case GET_DAEMON: {
		struct { int state; char ifn[16]; int syncid; } *d = val;
		const char *e = getenv("FAKE_IPVS_DAEMON");
		memset(d, 0, 2 * sizeof(*d));
		if (e)
			sscanf(e, "%d %15s %d", &d[0].state, d[0].ifn, &d[0].syncid);
		return 0;
	}
	}
	errno = EINVAL;
	return -1;
}

int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	static int (*real)(int, int, int, const void *, socklen_t);
	const char *e;

	if (level != IPPROTO_IP || name < BASE || name > BASE + 15) {
		if (!real)
			real = dlsym(RTLD_NEXT, "setsockopt");
		return real(fd, level, name, val, len);
	}
	e = getenv("FAKE_IPVS_ERRNO");
	if (e && atoi(e)) {
		errno = atoi(e);
		return -1;
	}
	return 0;
}
