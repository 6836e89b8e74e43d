// SPDX-License-Identifier: MIT
/*
 * tools/lambda-rie/rie.h - what the emulator's files share: limits, the
 * request, connection and invocation records, the process-wide state
 * (one thread: no locks) and the functions one file gives another.
 */
#ifndef NB_LAMBDA_RIE_H
#define NB_LAMBDA_RIE_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PORT   8080
#define INVOKE_PATH    "/2015-03-31/functions/function/invocations"
#define MAX_EVENT      6291456u	   /* Lambda's synchronous request limit */
#define MAX_RESPONSE   6291556u	   /* and its response limit, as its message says */
#define MAX_HEAD       (64 * 1024) /* request line + headers */
#define LOG_TAIL       (48 * 1024)
#define MAX_ARG	       (128 * 1024) /* MAX_ARG_STRLEN, including the NUL */
#define MAX_CONNS      32
#define READ_CHUNK     (64 * 1024)
#define REQUEST_ID_MAX 128
#define SEND_STALL_MS  60000 /* a client that reads nothing for this long is dropped */
#define LINGER_MS      2000  /* how long a closing connection's extra input is drained */
#define SBX_UID	       993   /* sbx_user1051, as in Lambda */
#define SBX_GID	       990

struct buf {
	char *data;
	size_t len, cap;
};

struct request {
	char method[16];
	bool invoke; /* POST to the invocation route */
	uint64_t length;
	bool expect_continue;
	bool keep_alive;
	bool transfer_encoding;
	char id[REQUEST_ID_MAX + 1]; /* X-Amzn-RequestId, "" if absent or unusable */
};

struct conn {
	int fd; /* -1: free slot */
	struct buf in;
	size_t head_len; /* 0 until the head is complete */
	struct request rq;
	bool continued; /* 100 Continue sent for rq */
	uint64_t last_used;
};

/* One invocation's outcome. */
struct invocation {
	const char *id;
	const char *event;
	size_t event_len;
	struct buf out;
	bool out_overflow;
	char tail[LOG_TAIL];
	size_t tail_len;
	bool not_found;
	char script[4096];
	int status;
	struct rusage ru;
};

struct rie_state {
	int sigfd;
	int listen_fd;
	int urandom_fd;
	const char *task_root;
	char *file; /* FILE of FILE.FUNCTION */
	char *func;
	pid_t child; /* the running handler's shell, 0 if none */
	bool child_done;
	int child_status;
	struct rusage child_ru;
	struct conn conns[MAX_CONNS];
	uint64_t clock; /* counts requests, for evicting the stalest idle connection */
};

extern struct rie_state rie;

/* util.c: messages, memory, buffers */
__attribute__((format(printf, 1, 2))) void rie_log(const char *fmt, ...);
__attribute__((format(printf, 1, 2), noreturn)) void rie_die(const char *fmt, ...);
void rie_buf_reserve(struct buf *b, size_t extra);
void rie_buf_append(struct buf *b, const void *p, size_t n);
void rie_buf_puts(struct buf *b, const char *s);
__attribute__((format(printf, 2, 3))) void rie_buf_printf(struct buf *b, const char *fmt, ...);
void rie_buf_consume(struct buf *b, size_t n);
void rie_buf_free(struct buf *b);
/* JSON string contents: quotes, backslashes and control bytes escaped. */
void rie_buf_json_escape(struct buf *b, const char *s);
void rie_buf_base64(struct buf *b, const unsigned char *p, size_t n);
void rie_set_nonblock(int fd);

/* proc.c: signals and children */
void rie_setup_signals(void);
void rie_ensure_std_fds(void);
/* Poll fds plus the signalfd; signals are handled here. Returns poll's result. */
int rie_poll(struct pollfd *fds, nfds_t n, int timeout_ms);

/* handler.c: runs the handler for inv, collecting its output */
void rie_run_handler(struct invocation *inv);

/* http.c: requests and responses */
int rie_send_all(int fd, struct iovec *iov, int iovcnt);
/* A response; extra holds further header lines, each ending in CRLF. */
int rie_send_response(struct conn *c, int status, const char *extra, const char *body, size_t len,
		      bool keep_alive);
void rie_conn_close(struct conn *c);
void rie_error_and_close(struct conn *c, int status, const char *body);
/* Offset just past the blank line ending the head, or 0 if it is not all here. */
size_t rie_head_end(const char *p, size_t n);
/* Parses the head [p, p+n). Returns 0 or the HTTP status to fail with. */
int rie_parse_head(const char *p, size_t n, struct request *rq);

/* invoke.c: one complete request on c. Returns -1 if c is to be closed. */
int rie_dispatch(struct conn *c, const char *body, size_t len);

#endif
