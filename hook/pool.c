/* SPDX-License-Identifier: MIT */
#include "pool.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <linux/if_link.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xml.h"

/* ---- the plan ---- */

void vf_pool_plan_clear(struct vf_pool_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->keys[i]);
	free(p->keys);
	*p = (struct vf_pool_plan){ 0 };
}

struct plan_opts {
	const struct vf_usage *u;
	const char *pool;
	bool hostdev, require_link;
};

/* A free VF that would give a VM a dead link: counted in the PF's no_link (lib/capacity.c). */
static bool no_link(const struct vf_pf *pf, const struct vf_vf *vf)
{
	return !pf->link_ok || vf->link_state == IFLA_VF_LINK_STATE_DISABLE;
}

/* Free for anyone, or already ours: a VF our pool lends to a running vNIC stays listed (taking
 * it out of the definition would not take it from its vNIC). */
static const char *member_key(const struct vf_pf *pf, const struct vf_vf *vf, const struct plan_opts *o)
{
	const struct vf_usage *u = o->u;
	const char *pool = o->pool;
	bool hostdev = o->hostdev;
	const char *key = hostdev ? vf->pci_address : vf->netdev;
	enum vf_use_kind kind = hostdev ? VF_USE_POOL_PCI : VF_USE_POOL_NETDEV;
	if (!key)
		return NULL;
	bool ours = vf->state == VF_STATE_POOL && vf->owner && streq(vf->owner, pool);
	if (vf->state != VF_STATE_FREE && !ours)
		return NULL;
	if (!ours && o->require_link && no_link(pf, vf))
		return NULL;
	/* a hostdev takes the whole IOMMU group: libvirt would refuse (or detach) its neighbours */
	if (hostdev && vf->iommu_group_devices > 1 && !ours)
		return NULL;
	return vf_usage_held_by_other(u, kind, key, pool) ? NULL : key;
}

struct lane {
	const char *fabric;
	const struct vf_pf **pfs;
	size_t n_pfs, cursor;
};

static struct lane *lane_for(struct lane **lanes, size_t *n, const char *fabric)
{
	for (size_t i = 0; i < *n; i++)
		if (streq((*lanes)[i].fabric, fabric))
			return &(*lanes)[i];
	struct lane *l = array_append(lanes, n, sizeof(**lanes));
	l->fabric = fabric;
	return l;
}

/* The lane's next member, its PFs taken in turn; NULL when every PF of the lane is used up. */
static const char *lane_next(struct lane *l, const struct vf_host *h, size_t *pos, const struct plan_opts *o)
{
	for (size_t tries = 0; tries < l->n_pfs; tries++) {
		const struct vf_pf *pf = l->pfs[l->cursor];
		l->cursor = (l->cursor + 1) % l->n_pfs;
		size_t *at = &pos[pf - h->pfs];
		while (*at < pf->n_vfs) {
			const char *key = member_key(pf, &pf->vfs[(*at)++], o);
			if (key)
				return key;
		}
	}
	return NULL;
}

/* Round robin over fabrics, and within a fabric over its PFs: libvirt takes the first free
 * interface in list order, so consecutive vNICs land on different fabrics, then PFs. */
void vf_pool_plan(const struct vf_host *h, const struct vf_usage *u, const char *pool, bool hostdev,
		  bool require_link, struct vf_pool_plan *out)
{
	const struct plan_opts o = { .u = u, .pool = pool, .hostdev = hostdev, .require_link = require_link };
	*out = (struct vf_pool_plan){ 0 };
	struct lane *lanes = NULL;
	size_t n_lanes = 0, *pos = xcalloc(h->n_pfs + 1, sizeof(size_t));
	for (size_t i = 0; i < h->n_pfs; i++) {
		struct lane *l = lane_for(&lanes, &n_lanes, h->pfs[i].fabric ? h->pfs[i].fabric : "");
		*(const struct vf_pf **)array_append(&l->pfs, &l->n_pfs, sizeof(void *)) = &h->pfs[i];
	}
	for (bool more = true; more;) {
		more = false;
		for (size_t li = 0; li < n_lanes; li++) {
			const char *key = lane_next(&lanes[li], h, pos, &o);
			if (key)
				*(char **)array_append(&out->keys, &out->n, sizeof(char *)) = xstrdup(key);
			more |= key != NULL;
		}
	}
	for (size_t i = 0; i < n_lanes; i++)
		free(lanes[i].pfs);
	free(lanes);
	free(pos);
}

/* ---- network XML ---- */

static void add_pci_address(xmlNodePtr fwd, const char *pci)
{
	unsigned dom, bus, slot, fn;
	if (sscanf(pci, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return; /* sysfs only gives well-formed PCI names to the plan */
	char buf[16];
	xmlNodePtr a = xmlNewChild(fwd, NULL, BAD_CAST "address", NULL);
	xmlNewProp(a, BAD_CAST "type", BAD_CAST "pci");
	snprintf(buf, sizeof(buf), "0x%04x", dom);
	xmlNewProp(a, BAD_CAST "domain", BAD_CAST buf);
	snprintf(buf, sizeof(buf), "0x%02x", bus);
	xmlNewProp(a, BAD_CAST "bus", BAD_CAST buf);
	snprintf(buf, sizeof(buf), "0x%02x", slot);
	xmlNewProp(a, BAD_CAST "slot", BAD_CAST buf);
	snprintf(buf, sizeof(buf), "0x%x", fn);
	xmlNewProp(a, BAD_CAST "function", BAD_CAST buf);
}

/* Built with libxml2's tree API, so names are escaped whatever they hold. */
char *vf_pool_xml(const char *pool, const char *uuid, bool hostdev, const struct vf_pool_plan *p)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr net = xmlNewNode(NULL, BAD_CAST "network");
	xmlDocSetRootElement(doc, net);
	xmlNewTextChild(net, NULL, BAD_CAST "name", BAD_CAST pool);
	if (uuid)
		xmlNewTextChild(net, NULL, BAD_CAST "uuid", BAD_CAST uuid);
	xmlNodePtr fwd = xmlNewChild(net, NULL, BAD_CAST "forward", NULL);
	xmlNewProp(fwd, BAD_CAST "mode", BAD_CAST(hostdev ? "hostdev" : "passthrough"));
	if (hostdev)
		xmlNewProp(fwd, BAD_CAST "managed", BAD_CAST "yes");
	for (size_t i = 0; i < p->n; i++) {
		if (hostdev) {
			add_pci_address(fwd, p->keys[i]);
		} else {
			xmlNodePtr itf = xmlNewChild(fwd, NULL, BAD_CAST "interface", NULL);
			xmlNewProp(itf, BAD_CAST "dev", BAD_CAST p->keys[i]);
		}
	}
	xmlBufferPtr buf = xmlBufferCreate();
	xmlNodeDump(buf, doc, net, 0, 1);
	char *xml = xasprintf("%s\n", (const char *)xmlBufferContent(buf));
	xmlBufferFree(buf);
	xmlFreeDoc(doc);
	return xml;
}

/* ---- libvirt ---- */

void vf_pool_state_clear(struct vf_pool_state *st)
{
	vf_usage_clear(&st->live);
	vf_usage_clear(&st->persistent);
	for (size_t i = 0; i < st->n_ports; i++)
		free(st->port_macs[i]);
	free(st->port_macs);
	*st = (struct vf_pool_state){ 0 };
}

static int virt_error(char **errmsg, const char *pool, const char *what)
{
	const char *m = virGetLastErrorMessage();
	return set_error(errmsg, -EIO, "pool %s: %s: %s", pool, what, m ? m : "unknown libvirt error");
}

static void net_freep(virNetworkPtr *n)
{
	if (*n)
		virNetworkFree(*n);
}
#define _cleanup_net_ _cleanup_(net_freep)

static int read_members(virNetworkPtr net, unsigned flags, struct vf_usage *u, char **errmsg, const char *pool)
{
	_cleanup_free_ char *xml = virNetworkGetXMLDesc(net, flags);
	if (!xml)
		return virt_error(errmsg, pool, "cannot read its XML");
	return vf_libvirt_parse_network(xml, u, errmsg);
}

/* The test driver knows no VIR_NETWORK_XML_INACTIVE (and no running/persistent split). */
static int read_persistent(virNetworkPtr net, struct vf_pool_state *st, char **errmsg, const char *pool)
{
	_cleanup_free_ char *xml = virNetworkGetXMLDesc(net, VIR_NETWORK_XML_INACTIVE);
	if (!xml) {
		virErrorPtr e = virGetLastError();
		if (!e || e->code != VIR_ERR_INVALID_ARG)
			return virt_error(errmsg, pool, "cannot read its persistent XML");
		xml = virNetworkGetXMLDesc(net, 0);
		if (!xml)
			return virt_error(errmsg, pool, "cannot read its XML");
	}
	return vf_libvirt_parse_network(xml, &st->persistent, errmsg);
}

/* <networkport><mac address='…'/> */
static char *port_mac(const char *xml)
{
	_cleanup_xmldoc_ xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "port.xml", NULL,
						       XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc)
		return NULL;
	char *mac = NULL;
	xmlNodePtr root = xmlDocGetRootElement(doc);
	for (xmlNodePtr n = root ? root->children : NULL; n && !mac; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrEqual(n->name, BAD_CAST "mac")) {
			xmlChar *a = xmlGetNoNsProp(n, BAD_CAST "address");
			mac = a ? xstrdup((const char *)a) : NULL;
			xmlFree(a);
		}
	return mac;
}

/* Drivers without ports (the test driver) have none to report, which is not an error. */
static void read_ports(virNetworkPtr net, struct vf_pool_state *st)
{
	virNetworkPortPtr *ports = NULL;
	int n = virNetworkListAllPorts(net, &ports, 0);
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *xml = virNetworkPortGetXMLDesc(ports[i], 0);
		char *mac = xml ? port_mac(xml) : NULL;
		if (mac)
			*(char **)array_append(&st->port_macs, &st->n_ports, sizeof(char *)) = mac;
		virNetworkPortFree(ports[i]);
	}
	free(ports);
}

int vf_pool_read(virConnectPtr c, const char *pool, struct vf_pool_state *st, char **errmsg)
{
	*st = (struct vf_pool_state){ 0 };
	_cleanup_net_ virNetworkPtr net = virNetworkLookupByName(c, pool);
	if (!net) {
		virErrorPtr e = virGetLastError();
		return e && e->code == VIR_ERR_NO_NETWORK ? 0 : virt_error(errmsg, pool, "lookup failed");
	}
	st->exists = true;
	if (virNetworkGetUUIDString(net, st->uuid) < 0)
		return virt_error(errmsg, pool, "cannot read its UUID");
	st->active = virNetworkIsActive(net) == 1;
	int autostart = 0;
	st->autostart = virNetworkGetAutostart(net, &autostart) == 0 && autostart;
	int r = read_members(net, 0, &st->live, errmsg, pool);
	if (r == 0 && virNetworkIsPersistent(net) == 1)
		r = read_persistent(net, st, errmsg, pool);
	if (r < 0) {
		vf_pool_state_clear(st);
		return r;
	}
	for (size_t i = 0; i < st->live.n_uses; i++)
		st->connections += st->live.uses[i].connections;
	if (st->active)
		read_ports(net, st);
	return 0;
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sorted copy of the plan's keys (caller frees): a pool of thousands of VFs is no quadratic walk. */
static char **plan_sorted(const struct vf_pool_plan *p)
{
	char **keys = xmalloc((p->n + 1) * sizeof(char *));
	if (p->n)
		memcpy(keys, p->keys, p->n * sizeof(char *));
	qsort(keys, p->n, sizeof(char *), strp_cmp);
	return keys;
}

/* Members of u (the pool as libvirt lists it) that the plan holds too. */
static size_t planned_members(const struct vf_usage *u, const struct vf_pool_plan *p, bool hostdev)
{
	enum vf_use_kind kind = hostdev ? VF_USE_POOL_PCI : VF_USE_POOL_NETDEV;
	_cleanup_free_ char **planned = plan_sorted(p);
	size_t n = 0;
	for (size_t i = 0; i < u->n_uses; i++)
		n += u->uses[i].kind == kind && bsearch(&u->uses[i].key, planned, p->n, sizeof(char *), strp_cmp);
	return n;
}

/* The same VFs in the same order: libvirt hands out the first free member in list order
 * (networkAllocatePort, passthrough and hostdev alike), so the order is the placement policy.
 * u must be in libvirt's order, as vf_libvirt_parse_network() leaves it. */
static bool same_members(const struct vf_usage *u, const struct vf_pool_plan *p, bool hostdev)
{
	enum vf_use_kind kind = hostdev ? VF_USE_POOL_PCI : VF_USE_POOL_NETDEV;
	if (u->n_uses != p->n)
		return false;
	for (size_t i = 0; i < p->n; i++)
		if (u->uses[i].kind != kind || !streq(u->uses[i].key, p->keys[i]))
			return false;
	return true;
}

static int define(virConnectPtr c, const char *pool, const struct vf_pool_state *st, bool hostdev,
		  const struct vf_pool_plan *p, char **errmsg)
{
	_cleanup_free_ char *xml = vf_pool_xml(pool, st->exists ? st->uuid : NULL, hostdev, p);
	virNetworkPtr net = virNetworkDefineXML(c, xml);
	if (!net)
		return virt_error(errmsg, pool, "define failed");
	virNetworkFree(net);
	return 0;
}

static int stop(virConnectPtr c, const char *pool, char **errmsg)
{
	_cleanup_net_ virNetworkPtr net = virNetworkLookupByName(c, pool);
	if (!net || virNetworkDestroy(net) < 0)
		return virt_error(errmsg, pool, "cannot stop it to apply the new definition");
	return 0;
}

/* Autostart on and running. */
static int start(virConnectPtr c, const char *pool, char **errmsg)
{
	_cleanup_net_ virNetworkPtr net = virNetworkLookupByName(c, pool);
	if (!net)
		return virt_error(errmsg, pool, "lookup failed");
	int autostart = 0;
	if ((virNetworkGetAutostart(net, &autostart) < 0 || !autostart) && virNetworkSetAutostart(net, 1) < 0)
		return virt_error(errmsg, pool, "cannot set autostart");
	if (virNetworkIsActive(net) != 1 && virNetworkCreate(net) < 0)
		return virt_error(errmsg, pool, "cannot start it");
	return 0;
}

static char *drift_line(const char *pool, const struct vf_pool_state *st, const struct vf_pool_plan *p,
			size_t pending, bool hostdev)
{
	bool reordered = st->live.n_uses == p->n && planned_members(&st->live, p, hostdev) == p->n;
	_cleanup_free_ char *what = reordered
		? xasprintf("lists the computed pool's %zu VFs in another order", p->n)
		: xasprintf("keeps %zu VFs, the computed pool has %zu", st->live.n_uses, p->n);
	return xasprintf("pool %s is in use (%d connections, %zu ports, %zu reservations): its running definition "
			 "%s; the persistent definition is updated and applies when the pool is idle",
			 pool, st->connections, st->n_ports, pending, what);
}

/* An idle pool that must change is stopped first, then defined and started: defining an
 * inactive network replaces its definition on every driver (the test driver never swaps in
 * the persistent definition of a running network when it stops). */
int vf_pool_apply(virConnectPtr c, const char *pool, bool hostdev, const struct vf_pool_plan *p, size_t pending,
		  struct vf_pool_state *st, char **drift, char **errmsg)
{
	bool idle = st->connections == 0 && st->n_ports == 0 && pending == 0;
	bool persistent_ok = st->exists && same_members(&st->persistent, p, hostdev);
	bool live_ok = st->active && same_members(&st->live, p, hostdev);
	bool restart = st->active && !live_ok && idle && p->n > 0;
	int r = 0;
	*drift = NULL;
	if (p->n == 0 && !st->exists)
		return 0; /* nothing to pool; libvirt would reject an empty passthrough pool anyway */
	if (st->active && !live_ok && !idle)
		*drift = drift_line(pool, st, p, pending, hostdev);
	if (persistent_ok && st->autostart && st->active && !restart)
		return 0;
	if (restart)
		r = stop(c, pool, errmsg);
	if (r == 0 && (!persistent_ok || restart) && p->n > 0)
		r = define(c, pool, st, hostdev, p, errmsg);
	if (r == 0)
		r = start(c, pool, errmsg);
	if (r < 0)
		return r;
	vf_pool_state_clear(st);
	return vf_pool_read(c, pool, st, errmsg);
}

int vf_pool_free_members(const struct vf_pool_state *st, const struct vf_pool_plan *p, bool hostdev, int *usable)
{
	enum vf_use_kind kind = hostdev ? VF_USE_POOL_PCI : VF_USE_POOL_NETDEV;
	_cleanup_free_ char **planned = plan_sorted(p);
	int n_free = 0, n_usable = 0;
	for (size_t i = 0; i < st->live.n_uses; i++) {
		const struct vf_use *m = &st->live.uses[i];
		if (m->kind != kind || !bsearch(&m->key, planned, p->n, sizeof(char *), strp_cmp))
			continue;
		n_usable++;
		n_free += m->connections == 0;
	}
	*usable = n_usable;
	return n_free;
}
