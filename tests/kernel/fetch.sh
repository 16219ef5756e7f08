#!/bin/bash
# SPDX-License-Identifier: MIT
# The kernel rig's Debian packages into its cache (tests/kernel/rig.sh, rig-igb.sh), before tests/run.sh
# enters its sandbox, whose network is loopback only. The rig's own download step then finds
# them cached; when this fails, that step fails with apt's reason.
set -u
cd "$(dirname "$0")/../.."
source tests/kernel/rig.sh
source tests/kernel/rig-igb.sh
rc=0
rig_resolve && rig_download || { echo "kernel rig fetch: $RIG_ERR" >&2; rc=1; }
# the igb guest's QEMU 10: fresh bookworm-backports lists, then its packages
rig_qemu_update && rig_qemu_resolve && rig_qemu_download || { echo "kernel rig fetch: $RIG_ERR" >&2; rc=1; }
exit $rc
