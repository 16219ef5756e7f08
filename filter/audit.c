/* SPDX-License-Identifier: MIT */
/* The audit-message table (audit.h): key -> when it last went to the engine, in a chained
 * hash table swept once per interval. */
#include "audit.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define BUCKETS 4096u

struct entry {
	struct entry *next;
	time_t at;
	char key[];
};

struct vf_audit {
	pthread_mutex_t lock;
	int interval;
	time_t swept;
	unsigned long n;
	struct entry *bucket[BUCKETS];
};

struct vf_audit *vf_audit_new(int interval)
{
	struct vf_audit *a = xcalloc(1, sizeof *a);
	pthread_mutex_init(&a->lock, NULL);
	a->interval = interval;
	return a;
}

void vf_audit_free(struct vf_audit *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry *e = a->bucket[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&a->lock);
	free(a);
}

static uint32_t hash(const char *s) /* FNV-1a */
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* A key last due at t is due again at now. A clock set back leaves t in the future: due, or
 * the key would stay quiet for as long as the clock went back. */
static bool expired(const struct vf_audit *a, time_t t, time_t now)
{
	return now < t || now - t >= a->interval;
}

/* Forget the keys that are due again anyway: once per interval, so the cost is spread. */
static void sweep(struct vf_audit *a, time_t now)
{
	if (!expired(a, a->swept, now))
		return;
	a->swept = now;
	for (size_t i = 0; i < BUCKETS; i++)
		for (struct entry **p = &a->bucket[i]; *p;) {
			struct entry *e = *p;
			if (expired(a, e->at, now)) {
				*p = e->next;
				free(e);
				a->n--;
			} else {
				p = &e->next;
			}
		}
}

bool vf_audit_due(struct vf_audit *a, const char *key, time_t now)
{
	if (!a || a->interval <= 0)
		return true;
	pthread_mutex_lock(&a->lock);
	sweep(a, now);
	struct entry **head = &a->bucket[hash(key) % BUCKETS], *e = *head;
	while (e && !streq(e->key, key))
		e = e->next;
	bool due = !e || expired(a, e->at, now);
	if (!e) {
		size_t len = strlen(key);
		e = xmalloc(sizeof *e + len + 1);
		memcpy(e->key, key, len + 1);
		e->next = *head;
		*head = e;
		a->n++;
	}
	if (due)
		e->at = now;
	pthread_mutex_unlock(&a->lock);
	return due;
}

unsigned long vf_audit_size(struct vf_audit *a)
{
	if (!a)
		return 0;
	pthread_mutex_lock(&a->lock);
	unsigned long n = a->n;
	pthread_mutex_unlock(&a->lock);
	return n;
}
