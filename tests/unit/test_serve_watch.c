/* SPDX-License-Identifier: MIT */
/* What serve's watching decides without a kernel or a daemon: which uevents concern it
 * (reporter/watch-kernel.c), when a gather changed nothing but the time
 * (reporter/serve-snapshot.c), and how long a long-poll asks to wait (reporter/serve-wait.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "model.h"
#include "serve-int.h"
#include "serve-snapshot.h"
#include "util.h"
#include "watch.h"

#define UEVENT(s) s, sizeof(s) - 1 /* the literal's own NUL is the last string's */

static void test_uevent_relevant(void **state)
{
	(void)state;
	assert_true(vf_uevent_relevant(UEVENT("add@/devices/pci0000:00/0000:00:02.0/0000:03:10.0\0ACTION=add\0"
					      "DEVPATH=/devices/pci0000:00/0000:00:02.0/0000:03:10.0\0SUBSYSTEM=pci\0SEQNUM=9\0")));
	assert_true(vf_uevent_relevant(UEVENT("bind@/devices/x\0ACTION=bind\0SUBSYSTEM=pci\0DRIVER=vfio-pci\0")));
	assert_true(vf_uevent_relevant(UEVENT("remove@/devices/virtual/net/v0\0ACTION=remove\0SUBSYSTEM=net\0")));
	/* other subsystems, look-alikes */
	assert_false(vf_uevent_relevant(UEVENT("add@/devices/x/block/sda\0ACTION=add\0SUBSYSTEM=block\0")));
	assert_false(vf_uevent_relevant(UEVENT("add@/x\0SUBSYSTEM=pcie\0SUBSYSTEM=netx\0")));
	assert_false(vf_uevent_relevant(UEVENT("add@/x\0subsystem=pci\0")));
	/* the header is no key */
	assert_false(vf_uevent_relevant(UEVENT("SUBSYSTEM=pci\0ACTION=add\0")));
	/* truncated: a last string without its NUL is not read */
	static const char cut[] = { 'a', '@', '/', 0, 'S', 'U', 'B', 'S', 'Y', 'S', 'T', 'E', 'M', '=', 'p', 'c', 'i' };
	assert_false(vf_uevent_relevant(cut, sizeof cut));
	assert_false(vf_uevent_relevant("", 0));
	assert_false(vf_uevent_relevant(UEVENT("add@/x")));
}

static struct vf_host *host(time_t t)
{
	struct vf_host *h = vf_host_new();
	h->hostname = xstrdup("h1");
	h->generated_at = t;
	return h;
}

static void test_snapshot_same(void **state)
{
	(void)state;
	_cleanup_host_ struct vf_host *a = host(1795000000);
	struct snapshot *s = snapshot_of(a);
	_cleanup_host_ struct vf_host *b = host(1795000999); /* only the time differs */
	assert_true(snapshot_same(s, b));
	assert_int_equal(b->generated_at, 1795000999); /* put back */
	assert_false(snapshot_same(NULL, b));
	vf_host_add_error(b, VF_SRC_LIBVIRT, "qemu:///system", "down");
	assert_false(snapshot_same(s, b)); /* a problem is a change */
	_cleanup_host_ struct vf_host *c = host(1795000000);
	free(c->hostname);
	c->hostname = xstrdup("h2");
	assert_false(snapshot_same(s, c));
	/* what it failed with is served as it was: same ETag */
	struct snapshot *f = snapshot_failed(s, xstrdup("sysfs: gone\n"));
	assert_string_equal(f->etag, s->etag);
	snapshot_unref(f);
	snapshot_unref(s);
}

static void test_prefer_wait(void **state)
{
	(void)state;
	assert_int_equal(prefer_wait_parse("wait=10"), 10);
	assert_int_equal(prefer_wait_parse("Wait = 7"), 7);
	assert_int_equal(prefer_wait_parse("respond-async, wait=5"), 5);
	assert_int_equal(prefer_wait_parse("wait=5,respond-async"), 5);
	assert_int_equal(prefer_wait_parse("return=minimal,wait=\"30\""), 30);
	assert_int_equal(prefer_wait_parse("wait=30; foo=bar"), 30);
	assert_int_equal(prefer_wait_parse("wait=100000"), MAX_WAIT);
	/* not a wait of whole seconds: answered at once */
	assert_int_equal(prefer_wait_parse(NULL), 0);
	assert_int_equal(prefer_wait_parse(""), 0);
	assert_int_equal(prefer_wait_parse("respond-async"), 0);
	assert_int_equal(prefer_wait_parse("wait"), 0);
	assert_int_equal(prefer_wait_parse("wait="), 0);
	assert_int_equal(prefer_wait_parse("wait=0"), 0);
	assert_int_equal(prefer_wait_parse("wait=-1"), 0);
	assert_int_equal(prefer_wait_parse("wait=5s"), 0);
	assert_int_equal(prefer_wait_parse("wait=1.5"), 0);
	assert_int_equal(prefer_wait_parse("wait=99999999999"), 0);
	assert_int_equal(prefer_wait_parse("waiting=5"), 0);
	assert_int_equal(prefer_wait_parse("nowait=5"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uevent_relevant),
		cmocka_unit_test(test_snapshot_same),
		cmocka_unit_test(test_prefer_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
