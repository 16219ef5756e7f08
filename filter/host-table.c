/* SPDX-License-Identifier: MIT */
/* The host-id hash table both report sources keep their entries in (host-table.h). */
#include <string.h>

#include "host-table.h"
#include "util.h"

uint32_t vf_table_hash(const char *id)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static struct vf_slot *slots_new(size_t size)
{
	return xcalloc(size, sizeof(struct vf_slot));
}

struct vf_table *vf_table_new(size_t n_hint)
{
	size_t size = 16;
	while (size < 2 * n_hint)
		size *= 2;
	struct vf_table *t = xcalloc(1, sizeof(*t));
	t->slots = slots_new(size);
	t->mask = size - 1;
	return t;
}

struct vf_slot *vf_table_find(const struct vf_table *t, const char *id, uint32_t hash)
{
	for (size_t i = hash & t->mask;; i = (i + 1) & t->mask) {
		struct vf_slot *s = &t->slots[i];
		if (!s->cap)
			return NULL;
		if (s->hash == hash && streq(s->cap->host_id, id))
			return s;
	}
}

static struct vf_slot *empty_slot(struct vf_slot *slots, size_t mask, uint32_t hash)
{
	size_t i = hash & mask;
	while (slots[i].cap)
		i = (i + 1) & mask;
	return &slots[i];
}

struct vf_slot *vf_table_insert(struct vf_table *t, uint32_t hash)
{
	/* at most half full: probes stay short, and there is always an empty slot to stop at */
	if (2 * (t->n + 1) > t->mask + 1) {
		size_t mask = 2 * t->mask + 1;
		struct vf_slot *slots = slots_new(mask + 1);
		for (size_t i = 0; i <= t->mask; i++)
			if (t->slots[i].cap)
				*empty_slot(slots, mask, t->slots[i].hash) = t->slots[i];
		free(t->slots);
		t->slots = slots;
		t->mask = mask;
	}
	struct vf_slot *s = empty_slot(t->slots, t->mask, hash);
	s->hash = hash;
	t->n++;
	return s;
}

void vf_table_free(struct vf_table *t, void (*clear)(struct vf_slot *s))
{
	if (!t)
		return;
	for (size_t i = 0; i <= t->mask; i++) {
		if (!t->slots[i].cap)
			continue;
		if (clear)
			clear(&t->slots[i]);
		vf_entry_unref(t->slots[i].cap);
	}
	free(t->slots);
	free(t);
}
