/* SPDX-License-Identifier: MIT */
/* The ids of tests/fixtures/engine/api, for test_filter_engine.c (the XML readers) and
 * test_filter_engine_http.c (the client against tests/filter/engine-server.py, which serves
 * them). */
#pragma once

#define FIXTURES "tests/fixtures/engine/api"

#define VM1 "6a6b7c1e-2f0a-4c8e-9d3b-1f2e3d4c5b6a" /* 6 vNICs, demand 3 */
#define VM2 "7b8c9d0e-1a2b-4c3d-8e4f-5a6b7c8d9e0f" /* VM1's profiles, demand 1 */
#define VM3 "8c9d0e1f-2b3c-4d4e-9f50-6b7c8d9e0f1a" /* <nics/> */
#define VM_GARBAGE "9d0e1f2a-3c4d-4e5f-a061-7c8d9e0f1a2b"
#define VM_GONE_PROFILE "ae1f2a3b-4d5e-4f60-b172-8d9e0f1a2b3c"
#define VM_UNKNOWN "ffffffff-0000-4000-8000-000000000404"
/* NUMA placement (each with VM1's nics: demand 3) */
#define VM_NODE0 "d0000000-0000-4000-8000-000000000000"    /* vNUMA pinned to host node 0, strict */
#define VM_NODE01 "d0000000-0000-4000-8000-000000000001"   /* two vNUMA nodes pinned to 0 and 1 */
#define VM_VCPU "d0000000-0000-4000-8000-0000000000c1"     /* no vNUMA pin; vCPUs on host CPUs 4-7 */
#define VM_UNPINNED "d0000000-0000-4000-8000-0000000000f0" /* neither */
#define VM_BAD_PIN "d0000000-0000-4000-8000-0000000000ba"  /* a pin to node 64 */
#define VM_BAD_CPUS "d0000000-0000-4000-8000-0000000000bc" /* cpu_set 4-x */

#define PT "0c7e2c36-8d4e-4f1a-a8b0-5b5d0f6b3e11"    /* pass_through enabled */
#define PT2 "2e3f4a5b-6c7d-4e8f-9a0b-1c2d3e4f5a6b"   /* the same, on an unplugged vNIC only */
#define VMFEX "1d2f6a7b-3c4d-4e5f-8a9b-0c1d2e3f4a5b" /* vmfex=Profile1 */
#define PLAIN "0000000a-000a-000a-000a-000000000398" /* ovirtmgmt */
#define DISABLED "3f4a5b6c-7d8e-4f90-ab1c-2d3e4f5a6b7c" /* vmfex with an empty value */
#define GONE "4a5b6c7d-8e9f-4a01-bc2d-3e4f5a6b7c8d"

#define HOST1 "f1a2b3c4-1111-4aaa-8bbb-000000000001" /* NUMA node 0: CPUs 0-3, node 1: 4-7 */
#define HOST2 "f1a2b3c4-2222-4aaa-8bbb-000000000002" /* one NUMA node, CPUs 0-7 */
#define HOST3 "f1a2b3c4-3333-4aaa-8bbb-000000000003" /* no numanodes: 404 */
#define HOST_UNKNOWN "f1a2b3c4-9999-4aaa-8bbb-000000000009"
