/* SPDX-License-Identifier: MIT */
/* hook/props.c: the vmfex profile and dict, MAC normalization, extnet. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mutate.h"
#include "props.h"
#include "util.h"

/* An output the parsers must leave alone on error (never dereferenced or freed). */
#define SENTINEL ((void *)(uintptr_t)0x5e1)

static void test_profile_valid(void **state)
{
	assert_false(vf_profile_valid(NULL));
	assert_false(vf_profile_valid(""));
	assert_false(vf_profile_valid("a"));
	assert_true(vf_profile_valid("ab"));
	assert_true(vf_profile_valid("Profile1"));
	assert_true(vf_profile_valid("a.b_c-D9"));
	assert_true(vf_profile_valid("--"));
	assert_true(vf_profile_valid(".."));
	assert_true(vf_profile_valid("abcdefghijklmnopqrstuvwxyz012345"));   /* 32 */
	assert_false(vf_profile_valid("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
	assert_false(vf_profile_valid("a b"));
	assert_false(vf_profile_valid("a/b"));
	assert_false(vf_profile_valid("a:b"));
	assert_false(vf_profile_valid("a+b"));
	assert_false(vf_profile_valid("ab\n"));
	assert_false(vf_profile_valid("Profil\xc3\xa9")); /* "Profilé": ASCII letters only */
	assert_false(vf_profile_valid("\xd0\xbf\xd1\x80\xd0\xbe"));
}

static void test_mac_normalize(void **state)
{
	char mac[VF_MAC_STRLEN];
	assert_int_equal(vf_mac_normalize("00:1A:4a:16:01:B0", mac), 0);
	assert_string_equal(mac, "00:1a:4a:16:01:b0");
	assert_int_equal(vf_mac_normalize("FF:FF:FF:FF:FF:FF", mac), 0);
	assert_string_equal(mac, "ff:ff:ff:ff:ff:ff");

	static const char *const bad[] = {
		NULL,
		"",
		"00:11:22:33:44:55:66", /* seven groups, as in the old vmfex docs */
		"00:11:22:33:44",
		"00:11:22:33:44:5",
		"0:11:22:33:44:55:6",
		"00-11-22-33-44-55",
		"001122334455",
		"00:11:22:33:44:5g",
		" 00:11:22:33:44:55",
		"00:11:22:33:44:55 ",
		"00:11:22:33:44:55:",
		"00:11:22:33:44::55",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		memcpy(mac, "untouched", 10);
		assert_int_equal(vf_mac_normalize(bad[i], mac), -EINVAL);
		assert_string_equal(mac, "untouched");
	}
}

static void test_is_dict(void **state)
{
	assert_true(vf_vmfex_is_dict("{}"));
	assert_true(vf_vmfex_is_dict(" \t\r\n{'x"));
	assert_false(vf_vmfex_is_dict("Profile1"));
	assert_false(vf_vmfex_is_dict(""));
	assert_false(vf_vmfex_is_dict("  "));
	assert_false(vf_vmfex_is_dict(NULL));
	assert_false(vf_vmfex_is_dict("x{"));
	assert_false(vf_vmfex_is_dict("\v{"));
}

static void dict_ok(const char *s, struct vf_vmfex_map *m)
{
	_cleanup_free_ char *err = NULL;
	int r = vf_vmfex_dict_parse(s, m, &err);
	if (r < 0)
		fail_msg("'%s': %d %s", s, r, err);
	assert_null(err);
}

static void test_dict_valid(void **state)
{
	_cleanup_vmfex_map_ struct vf_vmfex_map m = { 0 };
	/* The documented form, with both quote kinds and a trailing comma. */
	dict_ok("{'00:11:22:33:44:55':'Profile1', '00:11:22:33:44:66': \"Profile2\",}", &m);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.entries[0].mac, "00:11:22:33:44:55");
	assert_string_equal(m.entries[0].profile, "Profile1");
	assert_string_equal(m.entries[1].mac, "00:11:22:33:44:66");
	assert_string_equal(m.entries[1].profile, "Profile2");
	assert_string_equal(vf_vmfex_map_find(&m, "00:11:22:33:44:66"), "Profile2");
	assert_null(vf_vmfex_map_find(&m, "00:11:22:33:44:77"));
	assert_null(vf_vmfex_map_find(&m, "00:11:22:33:44:55:66"));
	assert_null(vf_vmfex_map_find(&m, "00:11:22:33:44:5"));
	assert_null(vf_vmfex_map_find(&m, NULL));
	assert_null(vf_vmfex_map_find(NULL, "00:11:22:33:44:55"));
	vf_vmfex_map_clear(&m);
	assert_null(m.entries);
	assert_int_equal(m.n, 0);

	/* Python 2's repr(): u'' strings; quotes mixed per string. */
	dict_ok("{u'00:11:22:33:44:55': u'Profile1', U\"00:11:22:33:44:66\":U'p.2'}", &m);
	assert_int_equal(m.n, 2);
	assert_string_equal(vf_vmfex_map_find(&m, "00:11:22:33:44:55"), "Profile1");
	assert_string_equal(vf_vmfex_map_find(&m, "00:11:22:33:44:66"), "p.2");
	vf_vmfex_map_clear(&m);

	/* Whitespace of every kind between all tokens and around the dict. */
	dict_ok(" \r\n\t{\n\t'00:11:22:33:44:55'\r\n:\t\"Profile1\"\n,\n}\n ", &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.entries[0].profile, "Profile1");
	vf_vmfex_map_clear(&m);

	/* One entry, no trailing comma, shortest profile. */
	dict_ok("{'00:11:22:33:44:55':'ab'}", &m);
	assert_int_equal(m.n, 1);
	assert_string_equal(m.entries[0].profile, "ab");
	vf_vmfex_map_clear(&m);

	/* Empty dicts: valid, nothing matches. */
	dict_ok("{}", &m);
	assert_int_equal(m.n, 0);
	assert_null(vf_vmfex_map_find(&m, "00:11:22:33:44:55"));
	vf_vmfex_map_clear(&m);
	dict_ok(" {\n} \n", &m);
	assert_int_equal(m.n, 0);
}

static void test_dict_case(void **state)
{
	_cleanup_vmfex_map_ struct vf_vmfex_map m = { 0 };
	dict_ok("{'00:1A:4A:16:01:B0':'Upper', '00:1a:4a:16:01:b1':'lower'}", &m);
	assert_string_equal(m.entries[0].mac, "00:1a:4a:16:01:b0");
	assert_string_equal(vf_vmfex_map_find(&m, "00:1a:4a:16:01:b0"), "Upper");
	assert_string_equal(vf_vmfex_map_find(&m, "00:1A:4a:16:01:B0"), "Upper");
	assert_string_equal(vf_vmfex_map_find(&m, "00:1A:4A:16:01:B1"), "lower");
	vf_vmfex_map_clear(&m);

	/* The same MAC twice, in different case, with the same profile: one entry. */
	dict_ok("{'00:1a:4a:16:01:b0':'P1', '00:11:22:33:44:55':'P2', \"00:1A:4A:16:01:B0\": u'P1',}", &m);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.entries[0].profile, "P1");
	assert_string_equal(m.entries[1].profile, "P2");
}

/* The parse must fail with -EINVAL and exactly the message want, leaving *out untouched; and the
 * same without an errmsg. */
static void dict_fails(const char *s, const char *want)
{
	struct vf_vmfex_map m = { SENTINEL, 7 };
	_cleanup_free_ char *err = xstrdup("a previous message, to be replaced");
	assert_int_equal(vf_vmfex_dict_parse(s, &m, &err), -EINVAL);
	assert_ptr_equal(m.entries, SENTINEL);
	assert_int_equal(m.n, 7);
	assert_non_null(err);
	if (!streq(err, want))
		fail_msg("for %s\n got '%s'\nwant '%s'", s, err, want);
	assert_int_equal(vf_vmfex_dict_parse(s, &m, NULL), -EINVAL);
	assert_ptr_equal(m.entries, SENTINEL);
}

#define NOT_A_MAC "is not a MAC address (six hex pairs like 00:1a:4a:16:01:b0)"
#define PROFILE_RE "must match ^[a-zA-Z0-9_.-]{2,32}$"
#define END "the end of the value"

/* Columns count the value's bytes from 1: in "{'00:11:22:33:44:55':'P1'}" the '{' is column 1, the
 * key's quote column 2, the ':' column 21, the profile's quote column 22, the '}' column 26. */

static void test_dict_errors_tokens(void **state)
{
	dict_fails("{'00:11:22:33:44:55:66':'Profile1'}",
		   "vmfex: column 2: '00:11:22:33:44:55:66' " NOT_A_MAC);
	dict_fails("{'00:11:22:33:44:55' 'Profile1'}",
		   "vmfex: column 22: expected ':' after key '00:11:22:33:44:55', found \"'\"");
	dict_fails("{'00:11:22:33:44:55'",
		   "vmfex: column 21: expected ':' after key '00:11:22:33:44:55', found " END);
	dict_fails("{'00:11:22:33:44:55':'P1' '00:11:22:33:44:66':'P2'}",
		   "vmfex: column 27: expected ',' or '}' after the entry of 00:11:22:33:44:55, found \"'\"");
	dict_fails("{'00:11:22:33:44:55':'P1';'00:11:22:33:44:66':'P2'}",
		   "vmfex: column 26: expected ',' or '}' after the entry of 00:11:22:33:44:55, found ';'");
	dict_fails("{'00:11:22:33:44:55':'P1'",
		   "vmfex: column 26: expected ',' or '}' after the entry of 00:11:22:33:44:55, found " END);
	dict_fails("{'00:11:22:33:44:55':'P1',,}",
		   "vmfex: column 27: expected a quoted MAC address, found ','");
	dict_fails("{,}", "vmfex: column 2: expected a quoted MAC address, found ','");
	dict_fails("{", "vmfex: column 2: expected a quoted MAC address, found " END);
	dict_fails("{00:11:22:33:44:55:'P1'}", "vmfex: column 2: expected a quoted MAC address, found '0'");
	dict_fails("{b'00:11:22:33:44:55':'P1'}",
		   "vmfex: column 2: expected a quoted MAC address, found 'b'");
	dict_fails("{u '00:11:22:33:44:55':'P1'}",
		   "vmfex: column 2: expected a quoted MAC address, found 'u'");
	dict_fails("{'00:11:22:33:44:55':{}}", "vmfex: column 22: expected a quoted profile name, found '{'");
	dict_fails("{'00:11:22:33:44:55':Profile1}",
		   "vmfex: column 22: expected a quoted profile name, found 'P'");
	dict_fails("{'00:11:22:33:44:55':'P1'} x",
		   "vmfex: column 28: unexpected text after the closing '}': 'x'");
	dict_fails("{}}", "vmfex: column 3: unexpected text after the closing '}': '}'");
	dict_fails("{} {'00:11:22:33:44:55':'P1'}",
		   "vmfex: column 4: unexpected text after the closing '}': '{'00:11:22:33:44:55':'P1'}'");
}

static void test_dict_errors_strings(void **state)
{
	dict_fails("{'00:11:22:33:44:55':'Profile1}", "vmfex: column 22: unterminated string");
	dict_fails("{'00:11:22:33:44:55':\"Profile1'}", "vmfex: column 22: unterminated string");
	dict_fails("{'00:11:22:33:44:55':u'P1\\", "vmfex: column 22: unterminated string");
	dict_fails("{'00:11:22:33:44:55", "vmfex: column 2: unterminated string");
	dict_fails("{'00:11:22:33:44:55':'Pro\\nfile'}",
		   "vmfex: column 26: invalid escape '\\n' (only \\\\, \\' and \\\" are allowed)");
	dict_fails("{'00:11:22:33:44:55':'Pro\\x41'}",
		   "vmfex: column 26: invalid escape '\\x' (only \\\\, \\' and \\\" are allowed)");
	dict_fails("{'00:11:22:33:44:55':'Pro\tfile'}",
		   "vmfex: column 26: control character 0x09 in a string");
	dict_fails("{'00:11:22:33:44:55':'Pro\nfile'}",
		   "vmfex: column 26: control character 0x0a in a string");
	dict_fails("{'00:11:22:33:44:55':'Pro\x7f'}", "vmfex: column 26: control character 0x7f in a string");
	/* A quote of the other kind does not end a string: this key runs up to the second '. */
	dict_fails("{'00:11:22:33:44:55\":'P1'}", "vmfex: column 2: '00:11:22:33:44:55\":' " NOT_A_MAC);
	/* Escapes are resolved before the checks. */
	dict_fails("{'00:11:22:33:44:55':'a\\'b'}", "vmfex: column 22: profile 'a'b' " PROFILE_RE);
	dict_fails("{'00:11:22:33:44:55':\"a\\\\b\\\"c\"}",
		   "vmfex: column 22: profile 'a\\b\"c' " PROFILE_RE);
}

static void test_dict_errors_values(void **state)
{
	dict_fails("{'00:11:22:33:44:55': 'a'}", "vmfex: column 23: profile 'a' " PROFILE_RE);
	dict_fails("{'00:11:22:33:44:55':''}", "vmfex: column 22: profile '' " PROFILE_RE);
	dict_fails("{'00:11:22:33:44:55':'abcdefghijklmnopqrstuvwxyz0123456'}",
		   "vmfex: column 22: profile 'abcdefghijklmnopqrstuvwxyz0123456' " PROFILE_RE);
	dict_fails("{'00:11:22:33:44:55':'Profil\xc3\xa9'}",
		   "vmfex: column 22: profile 'Profil\\xc3\\xa9' " PROFILE_RE);
	dict_fails("{'00:11:22:33:44:55':'P1','00:11:22:33:44:55':'P2'}",
		   "vmfex: column 27: MAC 00:11:22:33:44:55 is given twice, with profiles 'P1' and 'P2'");
	dict_fails("{'00:11:22:33:44:55':'P1', '00:11:22:33:44:66':'P2', U'00:11:22:33:44:55':'p1'}",
		   "vmfex: column 54: MAC 00:11:22:33:44:55 is given twice, with profiles 'P1' and 'p1'");
	dict_fails("{'':'P1'}", "vmfex: column 2: '' " NOT_A_MAC);
	dict_fails("{'00:11:22:33:44:5':'P1'}", "vmfex: column 2: '00:11:22:33:44:5' " NOT_A_MAC);
	/* Long text is cut in messages. */
	dict_fails("{'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa':'P1'}",
		   "vmfex: column 2: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' " NOT_A_MAC);
}

static void test_dict_errors_whole(void **state)
{
	static const char expected_dict[] = "expected '{' of a dict like {'00:1a:4a:16:01:b0': 'Profile1'}";
	_cleanup_free_ char *empty = xasprintf("vmfex: column 1: %s, found " END, expected_dict);
	dict_fails("", empty);
	_cleanup_free_ char *blank = xasprintf("vmfex: column 4: %s, found " END, expected_dict);
	dict_fails(" \n\t", blank);
	_cleanup_free_ char *profile = xasprintf("vmfex: column 1: %s, found 'P'", expected_dict);
	dict_fails("Profile1", profile);
	_cleanup_free_ char *list = xasprintf("vmfex: column 1: %s, found '['", expected_dict);
	dict_fails("['00:11:22:33:44:55']", list);
	_cleanup_free_ char *nonascii = xasprintf("vmfex: column 1: %s, found '\\xc3'", expected_dict);
	dict_fails("\xc3\xa9", nonascii);
	dict_fails(NULL, "vmfex: no value");

	/* The limit: VF_VMFEX_MAX_LEN bytes pass, one more does not. */
	_cleanup_free_ char *big = xmalloc(VF_VMFEX_MAX_LEN + 2);
	memset(big, ' ', VF_VMFEX_MAX_LEN + 1);
	big[0] = '{';
	big[VF_VMFEX_MAX_LEN - 1] = '}';
	big[VF_VMFEX_MAX_LEN] = '\0';
	_cleanup_vmfex_map_ struct vf_vmfex_map m = { 0 };
	dict_ok(big, &m);
	assert_int_equal(m.n, 0);
	big[VF_VMFEX_MAX_LEN] = ' ';
	big[VF_VMFEX_MAX_LEN + 1] = '\0';
	dict_fails(big, "vmfex: value too long (more than 65536 bytes)");
}

/* ---- extnet ---- */

static void extnet_ok(const char *s, const char *want_net, const char *want_pg)
{
	_cleanup_free_ char *net = NULL, *pg = NULL, *err = NULL;
	int r = vf_extnet_parse(s, &net, &pg, &err);
	if (r < 0)
		fail_msg("'%s': %d %s", s, r, err);
	assert_string_equal(net, want_net);
	if (want_pg)
		assert_string_equal(pg, want_pg);
	else
		assert_null(pg);
}

static void extnet_fails(const char *s, const char *want)
{
	char *net = SENTINEL, *pg = SENTINEL;
	_cleanup_free_ char *err = NULL;
	assert_int_equal(vf_extnet_parse(s, &net, &pg, &err), -EINVAL);
	assert_ptr_equal(net, SENTINEL);
	assert_ptr_equal(pg, SENTINEL);
	if (!streq_ptr(err, want))
		fail_msg("for '%s'\n got '%s'\nwant '%s'", s, err, want);
	assert_int_equal(vf_extnet_parse(s, &net, &pg, NULL), -EINVAL);
}

#define N64 "0123456789012345678901234567890123456789012345678901234567890123"

static void test_extnet(void **state)
{
	extnet_ok("ovirtmgmt", "ovirtmgmt", NULL);
	extnet_ok("direct-pool:vlan100", "direct-pool", "vlan100");
	extnet_ok("my net:port group", "my net", "port group");
	extnet_ok("net:a/b", "net", "a/b");
	extnet_ok("n\xc3\xa9t", "n\xc3\xa9t", NULL);
	extnet_ok(N64 ":" N64, N64, N64);

	extnet_fails(NULL, "extnet: empty value (expected NETWORK or NETWORK:PORTGROUP)");
	extnet_fails("", "extnet: empty value (expected NETWORK or NETWORK:PORTGROUP)");
	extnet_fails(":pg", "extnet: empty network name in ':pg' (expected NETWORK or NETWORK:PORTGROUP)");
	extnet_fails("net:",
		     "extnet: empty portgroup name in 'net:' (expected NETWORK or NETWORK:PORTGROUP)");
	extnet_fails(":", "extnet: empty network name in ':' (expected NETWORK or NETWORK:PORTGROUP)");
	extnet_fails("a:b:c", "extnet: more than one ':' in 'a:b:c' (expected NETWORK or NETWORK:PORTGROUP)");
	extnet_fails("a/b", "extnet: network name 'a/b' contains '/'");
	extnet_fails("a/b:pg", "extnet: network name 'a/b' contains '/'");
	extnet_fails("net\n", "extnet: column 4: control character 0x0a");
	extnet_fails("net:p\tg", "extnet: column 6: control character 0x09");
	extnet_fails("\x7fnet", "extnet: column 1: control character 0x7f");
	extnet_fails(" net", "extnet: network name ' net' starts or ends with a blank");
	extnet_fails("net:pg ", "extnet: portgroup name 'pg ' starts or ends with a blank");
	/* Names are cut after 40 bytes in messages. */
#define CUT "'0123456789012345678901234567890123456789...'"
	extnet_fails(N64 "x", "extnet: network name " CUT " is 65 bytes long (at most 64)");
	extnet_fails("net:" N64 "x", "extnet: portgroup name " CUT " is 65 bytes long (at most 64)");
}

/* ---- robustness ---- */

static struct mutator mu = { 2463534242u, "{}:,'\"\\uU \n\t0aF" };

/* Apply 1-3 random flips, deletions or insertions to buf (len bytes, room for 8 more). */
static size_t mutate(char *buf, size_t len)
{
	for (uint32_t k = mutator_next(&mu) % 3 + 1; k > 0; k--)
		len = mutate_once(&mu, buf, len);
	buf[len] = '\0';
	return len;
}

static void check_outcome(const char *s, int r, const struct vf_vmfex_map *m, const char *err)
{
	if (r < 0) {
		assert_int_equal(r, -EINVAL);
		assert_non_null(err);
		assert_true(startswith(err, "vmfex: "));
		for (const char *c = err; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				fail_msg("message for '%s' has byte 0x%02x: %s", s, (unsigned char)*c, err);
		return;
	}
	assert_null(err);
	for (size_t i = 0; i < m->n; i++) {
		char norm[VF_MAC_STRLEN];
		assert_int_equal(vf_mac_normalize(m->entries[i].mac, norm), 0);
		assert_string_equal(norm, m->entries[i].mac);
		assert_true(vf_profile_valid(m->entries[i].profile));
		assert_ptr_equal(vf_vmfex_map_find(m, norm), m->entries[i].profile);
	}
}

static void test_dict_mutations(void **state)
{
	static const char base[] = "{'00:11:22:33:44:55':'Profile1', u\"00:1A:4a:16:01:B0\": \"P.2_x-y\",\n"
				   " 'aa:bb:cc:dd:ee:ff' : U'ab' ,}";
	char buf[sizeof(base) + 8];
	int ok = 0, failed = 0;
	for (int i = 0; i < 5000; i++) {
		memcpy(buf, base, sizeof(base));
		mutate(buf, sizeof(base) - 1);
		_cleanup_vmfex_map_ struct vf_vmfex_map m = { 0 };
		_cleanup_free_ char *err = NULL;
		int r = vf_vmfex_dict_parse(buf, &m, &err);
		check_outcome(buf, r, &m, err);
		*(r == 0 ? &ok : &failed) += 1;
	}
	print_message("%d parsed, %d rejected\n", ok, failed);
	/* Both outcomes must be common, or the loop tests less than it seems to. */
	assert_true(ok > 200);
	assert_true(failed > 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_valid),
		cmocka_unit_test(test_mac_normalize),
		cmocka_unit_test(test_is_dict),
		cmocka_unit_test(test_dict_valid),
		cmocka_unit_test(test_dict_case),
		cmocka_unit_test(test_dict_errors_tokens),
		cmocka_unit_test(test_dict_errors_strings),
		cmocka_unit_test(test_dict_errors_values),
		cmocka_unit_test(test_dict_errors_whole),
		cmocka_unit_test(test_extnet),
		cmocka_unit_test(test_dict_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
