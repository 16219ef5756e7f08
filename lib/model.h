/* SPDX-License-Identifier: MIT */
/* The host model (docs/design.md, 'The report'): host -> PFs -> VFs, each VF with a state and
 * its owner.
 * Every reader fills its part; capacity.c derives states and counts. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util.h"

#define VFCAP_SCHEMA_VERSION 2
/* The oldest report version the reader still accepts: version 1 lacks the keys version 2 added
 * (they read as unknown/absent). */
#define VFCAP_SCHEMA_VERSION_MIN 1
#define VFCAP_VERSION "0.1.0"

/* Counts that a failed source leaves undetermined are stored as UNKNOWN and written as null. */
#define UNKNOWN (-1)
/* The most VFs a PCI function can have: TotalVFs and NumVFs are 16-bit fields of the SR-IOV
 * capability. Larger counts (sysfs, IFLA_NUM_VF, a port entry's VF number) are malformed. */
#define VF_COUNT_MAX 65535

enum vf_state {
	VF_STATE_UNKNOWN,     /* a source needed to judge it failed: never counted free */
	VF_STATE_FREE,
	VF_STATE_ASSIGNED,    /* a running domain holds it; owner = domain name */
	VF_STATE_POOL,        /* a pool network has it connected; owner = network name */
	VF_STATE_HOST,        /* the host uses it; owner = what (bond master, macvtap, ...) */
	VF_STATE_RESERVED,    /* excluded by the admin's config */
	VF_STATE_UNREACHABLE, /* enabled but beyond the PF's (wrapped) netlink VF list */
	VF_STATE_DIRTY,       /* nobody holds it, but it keeps a previous tenant's settings and the
			       * config says `dirty = used`; owner = the settings */
	_VF_STATE_MAX,
};

const char *vf_state_to_string(enum vf_state s);
int vf_state_from_string(const char *s); /* -EINVAL when unknown */

enum vf_source { VF_SRC_SYSFS, VF_SRC_NETLINK, VF_SRC_LIBVIRT, VF_SRC_CONFIG, _VF_SRC_MAX };
const char *vf_source_to_string(enum vf_source s);
int vf_source_from_string(const char *s);

struct vf_vf {
	int index;
	char *pci_address; /* NULL when the PF has no virtfn links (netlink-only VFs) */
	char *netdev;      /* host netdev, NULL when bound to vfio-pci or unbound */
	char *driver;
	int ifindex;       /* of netdev, 0 when none */

	/* sysfs facts that mean host use */
	char *master;        /* bond/bridge master netdev, or NULL */
	char *macvtap_upper; /* first upper_macvtap* netdev, or NULL */
	bool has_addresses;  /* addresses configured on the VF netdev (netlink RTM_GETADDR) */

	/* IOMMU group (sysfs iommu_group link) and how many devices it holds, UNKNOWN when none */
	int iommu_group;
	int iommu_group_devices;
	/* held outside libvirt (lib/holders.c) */
	int enable;          /* sysfs enable of a vfio-pci VF (pci_enable_device count), else UNKNOWN */
	char *vfio_dev;      /* "vfioN" of its VFIO cdev (vfio-dev/), read when enable >= 1 */
	bool net_hidden;     /* a network driver, net/ present but empty: moved to another netns */
	char *holder;        /* what holds it outside libvirt ("vfio pid 7 (testpmd)", "netns x") */

	/* netlink facts (valid when listed) */
	bool listed;
	char mac[18];      /* "" when unknown */
	int vlan;          /* 0 = none, UNKNOWN */
	int qos;
	int trust;         /* 0/1, UNKNOWN */
	int spoofchk;      /* 0/1, UNKNOWN */
	int link_state;    /* IFLA_VF_LINK_STATE_*, UNKNOWN */
	char *port_profile;  /* 802.1Qbh profile from IFLA_VF_PORTS, or NULL */
	int port_response;   /* IFLA_PORT_RESPONSE, UNKNOWN when absent */
	int min_tx_rate;     /* Mbit/s from IFLA_VF_RATE, UNKNOWN when the driver sent none */
	int max_tx_rate;     /* IFLA_VF_RATE, else IFLA_VF_TX_RATE; UNKNOWN when neither */

	unsigned dirty;      /* VF_DIRTY_* bits: settings a previous tenant may have left (capacity.c) */

	bool broken; /* a source failed for this VF (e.g. dangling virtfn link): never counted free */

	enum vf_state state;
	char *owner;
};

/* Why a VF is dirty, in the report's order (its `dirty` array). */
enum vf_dirty_reason {
	VF_DIRTY_VLAN,       /* vlan != 0 */
	VF_DIRTY_QOS,        /* qos != 0 */
	VF_DIRTY_RATE,       /* max_tx_rate or min_tx_rate > 0 */
	VF_DIRTY_TRUST,      /* trust on */
	VF_DIRTY_SPOOFCHK,   /* spoofchk off */
	VF_DIRTY_LINK_STATE, /* link_state disable */
	_VF_DIRTY_MAX,
};
const char *vf_dirty_to_string(enum vf_dirty_reason r);
int vf_dirty_from_string(const char *s); /* -EINVAL when unknown */

struct vf_netlink {
	bool valid;          /* the PF's RTM_NEWLINK was read and parsed */
	uint32_t num_vf;     /* IFLA_NUM_VF */
	uint32_t listed;     /* VF entries decodable from the (possibly wrapped) list */
	uint32_t bytes_per_vf;
	uint32_t limit;      /* floor(65531 / bytes_per_vf); 0 when there is no list */
	/* the same without IFLA_VF_STATS (RTEXT_FILTER_SKIP_STATS asks): what iproute2 can list,
	 * not what libvirt's query can */
	uint32_t bytes_per_vf_no_stats;
	uint32_t limit_no_stats;
	bool truncated;      /* the list wrapped: listed < num_vf */
	bool has_vfinfo;     /* IFLA_VFINFO_LIST present (driver has ndo_get_vf_config) */
	bool has_ports;      /* IFLA_VF_PORTS present (802.1Qbh, enic) */
};

struct vf_pf {
	char *name;
	int ifindex;
	char *pci_address; /* NULL when the parent is not a PCI device (netdevsim) */
	char *driver;
	char *vendor_id;   /* "0x8086" */
	char *device_id;
	int numa_node;     /* -1 when none */
	char *link_state;  /* operstate */
	int carrier;       /* sysfs carrier 0/1; 0 when admin down (EINVAL); UNKNOWN when unreadable */
	bool link_ok;      /* operstate up, or unknown with carrier: VFs can carry traffic */
	char *physical_network; /* labels, from config */
	char *fabric;
	int totalvfs;      /* UNKNOWN when sriov_totalvfs is missing */
	int numvfs;        /* UNKNOWN when unreadable */
	struct vf_netlink nl;

	struct vf_vf *vfs;
	size_t n_vfs;

	/* derived by capacity.c */
	int reachable, unreachable, reserved, usable, used, free;
	int dirty;   /* free or dirty-state VFs with a non-empty dirty set; UNKNOWN when free is */
	int no_link; /* free VFs that would give a VM a dead link; UNKNOWN when free is */
	int shared_iommu; /* free VFs whose IOMMU group holds other devices too */
};

struct vf_error {
	enum vf_source source;
	char *object; /* PF name, file, URI; may be NULL */
	char *message;
};

struct vf_totals {
	int pfs, vfs, usable, used, free, reserved, unreachable;
	int dirty, no_link;
	int shared_iommu;
};

struct vf_host {
	char *hostname;
	char *uuid;
	time_t generated_at;
	char *reporter_version;

	struct vf_pf *pfs;
	size_t n_pfs;

	struct vf_error *errors;
	size_t n_errors;

	struct vf_totals totals;
};

struct vf_host *vf_host_new(void);
void vf_host_free(struct vf_host *h);
static inline void vf_host_freep(struct vf_host **h)
{
	vf_host_free(*h);
}
#define _cleanup_host_ _cleanup_(vf_host_freep)

struct vf_pf *vf_host_add_pf(struct vf_host *h, const char *name);
struct vf_pf *vf_host_find_pf(const struct vf_host *h, const char *name);
/* Set n VFs on a PF (index 0..n-1, netlink fields UNKNOWN). */
void vf_pf_set_vfs(struct vf_pf *pf, size_t n);
void vf_vf_init(struct vf_vf *vf, int index);

/* Record a non-fatal error; the report lists it and marks what it affects unknown. The message
 * is one line that names its own object (file, PF, URI): it is printed alone. */
void vf_host_add_error(struct vf_host *h, enum vf_source src, const char *object, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
bool vf_host_has_error(const struct vf_host *h, enum vf_source src, const char *object);

/* Sort PFs by name so output does not depend on directory order. */
void vf_host_sort(struct vf_host *h);
