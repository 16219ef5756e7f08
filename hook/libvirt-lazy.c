/* SPDX-License-Identifier: MIT */
/* libvirt, loaded on first use.
 *
 * VDSM runs the hook once per vNIC on every VM start, and most runs (extnet, update_device, a
 * vNIC without vfcap properties) never talk to libvirt. Linking libvirt.so.0 makes every one of
 * them map its ~55 dependent libraries first: 15 ms on the benchmark machine against 4 ms for
 * `xmllint --noout` on the same payload (make bench). So the hook binary is linked without
 * -lvirt, and this file defines the libvirt functions vfcap calls as forwarders that dlopen the
 * real libvirt the first time one of them runs. The reporter and the unit tests link libvirt
 * directly; the hook's golden and real-daemon tests run through this file.
 *
 * If libvirt cannot be loaded, every call fails the way libvirt's own calls fail (NULL or -1)
 * and virGetLastErrorMessage() says why, so callers report it through their usual path.
 * Calls never overlap: the read runs in a thread of its own (lib/libvirt-deadline.c) while the
 * main thread waits for it, and after a missed deadline the hook makes no further call; nothing
 * here is meant for concurrent calls. */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdio.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#define LIBVIRT_SONAME "libvirt.so.0"

static void *handle;
static char load_error[512];
/* virSetErrorFunc before the first real call is remembered, not a reason to load libvirt. */
static struct {
	bool set;
	void *data;
	virErrorFunc fn;
} early_handler;

static void *load(void)
{
	if (handle || load_error[0])
		return handle;
	handle = dlopen(LIBVIRT_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		snprintf(load_error, sizeof load_error, "cannot load %s: %s", LIBVIRT_SONAME, dlerror());
		return NULL;
	}
	if (early_handler.set) {
		__typeof__(&virSetErrorFunc) set = (__typeof__(&virSetErrorFunc))dlsym(handle, "virSetErrorFunc");
		if (set)
			set(early_handler.data, early_handler.fn);
	}
	return handle;
}

static void *sym(const char *name)
{
	if (!load())
		return NULL;
	void *f = dlsym(handle, name);
	if (!f)
		snprintf(load_error, sizeof load_error, "%s has no %s", LIBVIRT_SONAME, name);
	return f;
}

/* RET NAME PARAMS: resolve NAME once, then call it with ARGS; FAIL when it cannot be had. */
#define LAZY(ret, name, fail, params, args)                                     \
	ret name params                                                         \
	{                                                                       \
		static __typeof__(&name) fn;                                    \
		if (!fn)                                                        \
			fn = (__typeof__(&name))sym(#name);                     \
		return fn ? fn args : (fail);                                   \
	}

LAZY(virConnectPtr, virConnectOpen, NULL, (const char *a), (a))
LAZY(virConnectPtr, virConnectOpenReadOnly, NULL, (const char *a), (a))
LAZY(virConnectPtr, virConnectOpenAuth, NULL, (const char *a, virConnectAuthPtr b, unsigned int c),
     (a, b, c))
LAZY(int, virConnectClose, -1, (virConnectPtr a), (a))
LAZY(int, virConnectListAllDomains, -1, (virConnectPtr a, virDomainPtr **b, unsigned int c), (a, b, c))
LAZY(int, virConnectListAllNetworks, -1, (virConnectPtr a, virNetworkPtr **b, unsigned int c), (a, b, c))
LAZY(const char *, virDomainGetName, NULL, (virDomainPtr a), (a))
LAZY(char *, virDomainGetXMLDesc, NULL, (virDomainPtr a, unsigned int b), (a, b))
LAZY(int, virDomainIsActive, -1, (virDomainPtr a), (a))
LAZY(int, virDomainFree, -1, (virDomainPtr a), (a))
LAZY(virNetworkPtr, virNetworkLookupByName, NULL, (virConnectPtr a, const char *b), (a, b))
LAZY(virNetworkPtr, virNetworkDefineXML, NULL, (virConnectPtr a, const char *b), (a, b))
LAZY(const char *, virNetworkGetName, NULL, (virNetworkPtr a), (a))
LAZY(int, virNetworkGetUUIDString, -1, (virNetworkPtr a, char *b), (a, b))
LAZY(char *, virNetworkGetXMLDesc, NULL, (virNetworkPtr a, unsigned int b), (a, b))
LAZY(int, virNetworkIsActive, -1, (virNetworkPtr a), (a))
LAZY(int, virNetworkIsPersistent, -1, (virNetworkPtr a), (a))
LAZY(int, virNetworkGetAutostart, -1, (virNetworkPtr a, int *b), (a, b))
LAZY(int, virNetworkSetAutostart, -1, (virNetworkPtr a, int b), (a, b))
LAZY(int, virNetworkCreate, -1, (virNetworkPtr a), (a))
LAZY(int, virNetworkDestroy, -1, (virNetworkPtr a), (a))
LAZY(int, virNetworkFree, -1, (virNetworkPtr a), (a))
LAZY(int, virNetworkListAllPorts, -1, (virNetworkPtr a, virNetworkPortPtr **b, unsigned int c), (a, b, c))
LAZY(char *, virNetworkPortGetXMLDesc, NULL, (virNetworkPortPtr a, unsigned int b), (a, b))
LAZY(int, virNetworkPortFree, -1, (virNetworkPortPtr a), (a))
LAZY(virErrorPtr, virGetLastError, NULL, (void), ())
/* No libvirt error code is "could not load libvirt"; this one matches none a caller tests for. */
LAZY(int, virGetLastErrorCode, VIR_ERR_INTERNAL_ERROR, (void), ())

const char *virGetLastErrorMessage(void)
{
	static __typeof__(&virGetLastErrorMessage) fn;
	if (load_error[0])
		return load_error;
	if (!fn)
		fn = (__typeof__(&virGetLastErrorMessage))sym("virGetLastErrorMessage");
	return fn ? fn() : load_error;
}

void virSetErrorFunc(void *data, virErrorFunc handler)
{
	static __typeof__(&virSetErrorFunc) fn;
	if (!handle) {
		early_handler.set = true;
		early_handler.data = data;
		early_handler.fn = handler;
		return;
	}
	if (!fn)
		fn = (__typeof__(&virSetErrorFunc))sym("virSetErrorFunc");
	if (fn)
		fn(data, handler);
}
