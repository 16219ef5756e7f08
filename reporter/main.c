/* SPDX-License-Identifier: MIT */
/* vfcap-report: count the VFs of every PF, the free ones and the netlink limit; print or write
 * the report, or serve it (serve.c). The library gathers and judges; this file decides what
 * the user sees. */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "format.h"
#include "gather.h"
#include "log.h"
#include "report.h"
#include "report-exit.h"
#include "serve.h"
#include "util.h"

enum format { FMT_JSON, FMT_TABLE, FMT_PROMETHEUS };

struct opts {
	enum format format;
	const char *output, *sysfs_root, *netlink_file, *netlink_record, *libvirt_uri, *config;
	const char *proc_root, *netns_root;
	bool verbose;
	char **pfs;
	size_t n_pfs;
	bool serve;               /* `vfcap-report serve` */
	const char *listen;       /* serve only */
	int interval;             /* serve only; 0: the config's */
	const char *once_option;  /* the first option given that only a one-shot run takes */
	const char *serve_option; /* the first option given that only serve takes */
};

static const char usage_text[] =
	"Usage: vfcap-report [OPTION]...\n"
	"  or:  vfcap-report serve [--listen ADDR:PORT] [--interval SECONDS] [SOURCE OPTION]...\n"
	"Count the SR-IOV VFs of every PF on this host, which are free, and the per-PF netlink limit.\n"
	"serve answers GET /v1/report (the JSON report), /metrics (Prometheus) and /healthz over\n"
	"HTTP (HTTPS with the config's tls keys). It reads the host again when rtnetlink, uevents\n"
	"or libvirt's events say it changed, and at least once per interval (serve_watch = no:\n"
	"on request, at most once per interval); it takes --sysfs-root, --proc-root,\n"
	"--netns-root, --netlink-file, --libvirt-uri, --config and --pf.\n"
	"\n"
	"  -f, --format FMT        json (default), table or prometheus\n"
	"  -o, --output FILE       write to FILE (temp file + rename) instead of stdout\n"
	"      --sysfs-root DIR    read DIR instead of /sys\n"
	"      --proc-root DIR     read DIR instead of /proc (who holds a VF outside libvirt)\n"
	"      --netns-root DIR    read DIR instead of /run/netns (named network namespaces)\n"
	"      --netlink-file FILE read recorded RTM_NEWLINK replies instead of the kernel\n"
	"      --netlink-record FILE  also write the kernel's raw replies to FILE (for\n"
	"                          --netlink-file, bug reports and test fixtures)\n"
	"      --libvirt-uri URI   libvirt connection, read-only (default " VF_LIBVIRT_DEFAULT_URI ")\n"
	"  -c, --config FILE       configuration (default $VFCAP_CONFIG, else " VF_CONFIG_DEFAULT_PATH ",\n"
	"                          optional)\n"
	"      --pf NAME           report only this PF (repeatable)\n"
	"  -v, --verbose           table format: one row per VF\n"
	"      --listen ADDR:PORT  serve: listen there (default: the config's serve_listen, else\n"
	"                          127.0.0.1:18782)\n"
	"      --interval SECONDS  serve: read the host at least every SECONDS when watching, at\n"
	"                          most every SECONDS when not (default: the config's\n"
	"                          serve_interval, else 120)\n"
	"      --version           print the version and exit\n"
	"  -h, --help              print this help and exit\n"
	"\n"
	"Exit status:\n"
	"  0  full report\n"
	"  1  usage or configuration error; nothing written\n"
	"  2  report written, but a source failed: listed in \"errors\", the counts it affects\n"
	"     are null (unknown), never counted free\n"
	"  3  nothing could be read (no sysfs); nothing written\n"
	"serve: 0 stopped by SIGTERM or SIGINT, 1 usage or configuration error, 2 cannot start\n"
	"(a TLS file unreadable or unusable, the address in use).\n"
	"\n"
	"SOURCE_DATE_EPOCH, when set, is used as the report time (reproducible output).\n";

static int usage_error(const char *fmt, const char *arg)
{
	_cleanup_free_ char *msg = xasprintf(fmt, arg);
	log_error("%s", msg);
	fputs("Try 'vfcap-report --help'.\n", stderr);
	return EXIT_USAGE;
}

static int parse_format(const char *s, enum format *f)
{
	if (streq(s, "json"))
		*f = FMT_JSON;
	else if (streq(s, "table"))
		*f = FMT_TABLE;
	else if (streq(s, "prometheus"))
		*f = FMT_PROMETHEUS;
	else
		return -EINVAL;
	return 0;
}

/* Returns -1 to go on, or the exit code. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	enum { O_SYSFS = 256, O_PROC, O_NETNS, O_NETLINK, O_RECORD, O_URI, O_PF, O_VERSION, O_LISTEN, O_INTERVAL };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, 'f' },   { "output", required_argument, NULL, 'o' },
		{ "sysfs-root", required_argument, NULL, O_SYSFS },
		{ "proc-root", required_argument, NULL, O_PROC },
		{ "netns-root", required_argument, NULL, O_NETNS },
		{ "netlink-file", required_argument, NULL, O_NETLINK },
		{ "netlink-record", required_argument, NULL, O_RECORD },
		{ "libvirt-uri", required_argument, NULL, O_URI }, { "config", required_argument, NULL, 'c' },
		{ "pf", required_argument, NULL, O_PF },      { "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, O_VERSION },  { "help", no_argument, NULL, 'h' },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ 0 },
	};
	int c;
	long v;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:c:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			o->once_option = o->once_option ?: "--format";
			if (parse_format(optarg, &o->format) < 0)
				return usage_error("unknown format '%s' (json, table, prometheus)", optarg);
			break;
		case 'o': o->output = optarg, o->once_option = o->once_option ?: "--output"; break;
		case 'c': o->config = optarg; break;
		case 'v': o->verbose = true, o->once_option = o->once_option ?: "--verbose"; break;
		case O_SYSFS: o->sysfs_root = optarg; break;
		case O_PROC: o->proc_root = optarg; break;
		case O_NETNS: o->netns_root = optarg; break;
		case O_NETLINK: o->netlink_file = optarg; break;
		case O_RECORD:
			o->netlink_record = optarg, o->once_option = o->once_option ?: "--netlink-record";
			break;
		case O_URI: o->libvirt_uri = optarg; break;
		case O_PF:
			o->pfs = xrealloc(o->pfs, (o->n_pfs + 2) * sizeof(char *));
			o->pfs[o->n_pfs++] = optarg;
			o->pfs[o->n_pfs] = NULL;
			break;
		case O_LISTEN: o->listen = optarg, o->serve_option = o->serve_option ?: "--listen"; break;
		case O_INTERVAL:
			if (parse_long(optarg, 1, 86400, &v) < 0)
				return usage_error("--interval '%s': seconds, 1 to 86400", optarg);
			o->interval = (int)v, o->serve_option = o->serve_option ?: "--interval";
			break;
		case O_VERSION: printf("vfcap-report %s\n", VFCAP_VERSION); return EXIT_FULL;
		case 'h': fputs(usage_text, stdout); return EXIT_FULL;
		case ':': return usage_error("option '%s' needs an argument", argv[optind - 1]);
		default: return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o->serve && o->once_option)
		return usage_error("%s does not go with serve", o->once_option);
	if (!o->serve && o->serve_option)
		return usage_error("%s is an option of serve (vfcap-report serve ...)", o->serve_option);
	if (o->netlink_record && o->netlink_file)
		return usage_error("%s", "--netlink-record records the kernel; it cannot go with --netlink-file");
	return -1;
}

static int load_config(const struct opts *o, struct vf_config **cfg)
{
	_cleanup_free_ char *err = NULL;
	int r = vf_config_load_chosen(o->config, cfg, &err);
	if (r < 0) {
		log_error("%s", err ? err : strerror(-r));
		return EXIT_USAGE;
	}
	return 0;
}

static char *render(const struct vf_host *h, const struct opts *o)
{
	switch (o->format) {
	case FMT_TABLE: return vf_format_table(h, o->verbose);
	case FMT_PROMETHEUS: return vf_format_prometheus(h);
	default: return vf_report_format_json(h, true);
	}
}

static int emit(const struct vf_host *h, const struct opts *o)
{
	_cleanup_free_ char *text = render(h, o);
	size_t len = strlen(text);
	if (o->output) {
		int r = write_file_atomic(o->output, text, len, 0644);
		if (r < 0) {
			log_error("cannot write %s: %s", o->output, strerror(-r));
			return EXIT_NOTHING;
		}
	} else if (fwrite(text, 1, len, stdout) != len || fflush(stdout) != 0) {
		log_error("cannot write to stdout: %s", strerror(errno));
		return EXIT_NOTHING;
	}
	for (size_t i = 0; i < h->n_errors; i++)
		log_warning("warning: %s: %s", vf_source_to_string(h->errors[i].source),
			h->errors[i].message);
	return h->n_errors ? EXIT_PARTIAL : EXIT_FULL;
}

int main(int argc, char **argv)
{
	/* libvirtd going away mid-read must be an error message, not death by SIGPIPE (libvirt's
	 * client writes to its socket without MSG_NOSIGNAL) */
	signal(SIGPIPE, SIG_IGN);
	vf_log_init("vfcap-report");
	struct opts o = { .format = FMT_JSON, .serve = argc > 1 && streq(argv[1], "serve") };
	/* serve's options follow the word: getopt starts after it */
	int r = o.serve ? parse_args(argc - 1, argv + 1, &o) : parse_args(argc, argv, &o);
	_cleanup_free_ char **pfs = o.pfs;
	if (r >= 0)
		return r;
	_cleanup_config_ struct vf_config *cfg = NULL;
	if ((r = load_config(&o, &cfg)) != 0)
		return r;
	struct vf_gather_opts g = { .sysfs_root = o.sysfs_root, .proc_root = o.proc_root,
				    .netns_root = o.netns_root, .netlink_file = o.netlink_file,
				    .netlink_record = o.netlink_record, .libvirt_uri = o.libvirt_uri,
				    .pfs = o.pfs, .now = vf_now() };
	if (o.serve)
		return vf_report_serve(&(struct vf_serve_opts){ .cfg = cfg, .gather = g, .listen = o.listen,
							 .interval = o.interval });
	_cleanup_host_ struct vf_host *h = vf_host_new();
	r = vf_gather(h, cfg, &g, NULL);
	if (r < 0) {
		log_error("cannot read %s/class/net: %s", vf_gather_sysfs_root(cfg, &g),
			strerror(-r));
		return EXIT_NOTHING;
	}
	return emit(h, &o);
}
