/* SPDX-License-Identifier: MIT */
/* A domain's NUMA placement from its XML and the host's node topology (hook/domain-numa.h). */
#include "domain-numa.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "xml.h"

static int parse_num(const char **p, int max, int *ret)
{
	char *end;
	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	long v = strtol(*p, &end, 10);
	if (errno || v >= max)
		return -EINVAL;
	*p = end;
	*ret = (int)v;
	return 0;
}

int vf_parse_bitmap(const char *s, bool *set, int max)
{
	const char *p = s;
	bool any = false;
	while (*p) {
		bool neg = *p == '^';
		p += neg;
		int a, b;
		if (parse_num(&p, max, &a) < 0)
			return -EINVAL;
		b = a;
		if (*p == '-' && !neg) {
			p++;
			if (parse_num(&p, max, &b) < 0 || b < a)
				return -EINVAL;
		}
		for (int i = a; i <= b; i++)
			set[i] = !neg;
		any = true;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return -EINVAL;
		else
			break;
	}
	return any ? 0 : -EINVAL;
}

/* A nodeset/cpuset attribute ORed into set; absent is fine (placement='auto' has none). */
static int add_attr(const xmlNode *n, const char *attr, const char *what, bool *set, int max, bool *found,
		    char **errmsg)
{
	_cleanup_free_ char *v = vf_xml_attr_value(n, attr);
	if (!v)
		return 0;
	_cleanup_free_ bool *one = xcalloc((size_t)max, sizeof(bool));
	if (vf_parse_bitmap(v, one, max) < 0)
		return set_error(errmsg, -EINVAL, "domain %s %s '%s': not a list of numbers below %d", what, attr, v,
				 max);
	for (int i = 0; i < max; i++)
		set[i] |= one[i];
	*found = true;
	return 0;
}

static int numatune_nodes(const xmlNode *dom, struct vf_nodeset *ret, char **errmsg)
{
	const xmlNode *nt = vf_xml_child(dom, "numatune", VF_XML_NO_NS);
	int r = 0;
	vf_xml_for_each_child(m, nt, NULL, VF_XML_NO_NS) {
		if (vf_xml_is(m, "memory", VF_XML_NO_NS) || vf_xml_is(m, "memnode", VF_XML_NO_NS))
			r = add_attr(m, "nodeset", "numatune", ret->node, VF_NODES_MAX, &ret->pinned, errmsg);
		if (r < 0)
			return r;
	}
	return 0;
}

/* CPU -> node, from each nodeN/cpulist under the sysfs root. */
static int cpus_to_nodes(const bool *cpus, const char *sysfs_root, struct vf_nodeset *ret, char **errmsg)
{
	_cleanup_free_ char *dir = xasprintf("%s/devices/system/node", sysfs_root);
	DIR *d = opendir(dir);
	if (!d)
		return set_error(errmsg, -errno, "%s: %s", dir, strerror(errno));
	struct dirent *e;
	int r = 0;
	_cleanup_free_ bool *list = xcalloc(VF_CPUS_MAX, sizeof(bool));
	while (r == 0 && (e = readdir(d))) {
		int node;
		const char *p = e->d_name + 4;
		if (!startswith(e->d_name, "node") || parse_num(&p, VF_NODES_MAX, &node) < 0 || *p)
			continue;
		_cleanup_free_ char *path = xasprintf("%s/%s/cpulist", dir, e->d_name), *text = NULL;
		if ((r = read_one_line(path, &text, 65536)) < 0) {
			r = set_error(errmsg, r, "%s: %s", path, strerror(-r));
			break;
		}
		memset(list, 0, VF_CPUS_MAX * sizeof(bool));
		if (*text && vf_parse_bitmap(text, list, VF_CPUS_MAX) < 0)
			r = set_error(errmsg, -EINVAL, "%s: '%s' is not a CPU list", path, text);
		for (int c = 0; r == 0 && c < VF_CPUS_MAX; c++)
			if (list[c] && cpus[c])
				ret->node[node] = ret->pinned = true;
	}
	closedir(d);
	return r;
}

int vf_domain_nodes(xmlDocPtr doc, const char *sysfs_root, struct vf_nodeset *ret, char **errmsg)
{
	memset(ret, 0, sizeof(*ret));
	const xmlNode *dom = xmlDocGetRootElement(doc);
	if (!vf_xml_is(dom, "domain", VF_XML_NO_NS))
		return 0;
	int r = numatune_nodes(dom, ret, errmsg);
	if (r < 0 || ret->pinned)
		return r; /* the memory's nodes are the VM's, as the filter takes vNUMA pins first */
	_cleanup_free_ bool *cpus = xcalloc(VF_CPUS_MAX, sizeof(bool));
	bool any = false;
	const xmlNode *ct = vf_xml_child(dom, "cputune", VF_XML_NO_NS);
	vf_xml_for_each_child(p, ct, "vcpupin", VF_XML_NO_NS) {
		if ((r = add_attr(p, "cpuset", "vcpupin", cpus, VF_CPUS_MAX, &any, errmsg)) < 0)
			return r;
	}
	return any ? cpus_to_nodes(cpus, sysfs_root, ret, errmsg) : 0;
}

char *vf_nodeset_format(const struct vf_nodeset *s)
{
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	const char *sep = "";
	for (int i = 0; i < VF_NODES_MAX; i++)
		if (s->node[i]) {
			fprintf(f, "%s%d", sep, i);
			sep = ",";
		}
	fclose(f);
	return buf;
}
