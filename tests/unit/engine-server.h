/* SPDX-License-Identifier: MIT */
/* tests/filter/engine-server.py (the engine's REST API stand-in) run by a unit test: started
 * with the fixtures of engine-fixtures.h, a user, a password, a request log in /tmp and the
 * test's extra arguments; it prints its port on stdout once listening. Shared by
 * test_filter_engine_http.c and test_filter_http_client.c. */
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "engine-fixtures.h"
#include "util.h"

struct engine_server {
	pid_t pid;
	int port;
	char log[64]; /* the server's request log */
};

/* Start the server (extra: NULL-terminated); 0 with s->port set, or -1. */
static inline int engine_server_start(struct engine_server *s, const char *user, const char *password,
				      const char *const *extra)
{
	*s = (struct engine_server){ .pid = -1 };
	strcpy(s->log, "/tmp/vfcap-test-engine.XXXXXX");
	int fd = mkstemp(s->log), p[2];
	if (fd < 0)
		return -1;
	close(fd);
	const char *argv[40] = { "python3", "tests/filter/engine-server.py", "--root", FIXTURES, "--user", user,
				 "--password", password, "--log", s->log };
	for (size_t n = 10; *extra && n < ARRAY_SIZE(argv) - 1;)
		argv[n++] = *extra++;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM); /* a test that dies takes its server along */
		dup2(p[1], STDOUT_FILENO);
		execv("/usr/bin/python3", (char **)argv);
		_exit(127);
	}
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[32] = "";
	bool ok = f && fgets(line, sizeof(line), f);
	if (f)
		fclose(f);
	s->port = ok ? atoi(line) : 0;
	if (s->port <= 0) {
		fprintf(stderr, "engine-server.py did not start\n");
		return -1;
	}
	return 0;
}

static inline void engine_server_stop(struct engine_server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	if (s->log[0])
		unlink(s->log);
	*s = (struct engine_server){ 0 };
}
