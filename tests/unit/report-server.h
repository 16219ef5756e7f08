/* SPDX-License-Identifier: MIT */
/* What test_filter_source_http.c and test_filter_follow.c share: tests/filter/report-server.py
 * started as a child (its port, the directory it serves), its counters read over HTTP, and the
 * setup and teardown that start it in the temp directory with the proxy variables unset. Include
 * after source-helpers.h. */
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

static pid_t server_pid = -1;
static int server_port;
static char *srvdir; /* what the report server serves */

/* The server with its extra arguments (NULL or "--sleep", "3"); 0 once it printed its port. */
static inline int start_server(const char *opt, const char *val)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a crashed test leaves no server behind */
		dup2(p[1], STDOUT_FILENO);
		execlp("python3", "python3", "tests/filter/report-server.py", srvdir, opt, val, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[32];
	bool ok = f && fgets(line, sizeof(line), f) && (server_port = atoi(line)) > 0;
	if (f)
		fclose(f);
	return ok ? 0 : -1;
}

static inline void stop_server(void)
{
	if (server_pid > 0) {
		kill(server_pid, SIGTERM);
		waitpid(server_pid, NULL, 0);
	}
}

static inline size_t to_buf(char *data, size_t size, size_t n, void *p)
{
	char **buf = p;
	char *next = xasprintf("%s%.*s", *buf ? *buf : "", (int)(size * n), data);
	free(*buf);
	*buf = next;
	return size * n;
}

/* GET /stats (or /reset) from the server: its JSON (caller puts). */
static inline json_object *server_get(const char *path)
{
	_cleanup_free_ char *url = xasprintf("http://127.0.0.1:%d%s", server_port, path), *body = NULL;
	CURL *c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_cleanup(c);
	return json_tokener_parse(body);
}

/* A counter of the server's GET /stats. */
static inline int server_stat(const char *key)
{
	json_object *o = server_get("/stats");
	int v = json_count(o, key);
	json_object_put(o);
	return v;
}

/* The temp directory, srvdir in it, the server on it (opt, val: start_server's). */
static inline int server_setup(void **state, const char *opt, const char *val)
{
	/* libcurl honours these; the tests talk to 127.0.0.1 directly */
	static const char *const proxies[] = { "http_proxy", "HTTP_PROXY", "https_proxy",
					       "HTTPS_PROXY", "all_proxy", "ALL_PROXY" };
	for (size_t i = 0; i < ARRAY_SIZE(proxies); i++)
		unsetenv(proxies[i]);
	if (tmpdir_setup(state) < 0)
		return -1;
	srvdir = xasprintf("%s/served", tmpdir);
	return mkdir(srvdir, 0755) == 0 && start_server(opt, val) == 0 ? 0 : -1;
}

static inline int server_teardown(void **state)
{
	stop_server();
	free(srvdir);
	return tmpdir_teardown(state);
}
