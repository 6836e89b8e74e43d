/*
 * tests/unit/fake_engine.h - a tiny fake Engine API server for unit tests.
 * A thread listens on a unix socket in a fresh temp dir and answers each
 * HTTP/1.1 request from a table of canned replies, one thread per
 * connection, keeping connections alive unless told otherwise. It records
 * what it was asked, so a test can check the method, path and body.
 */
#ifndef NB_FAKE_ENGINE_H
#define NB_FAKE_ENGINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#define FAKE_ENGINE_MAX_REQS  64
#define FAKE_ENGINE_MAX_CONNS 16
#define FAKE_ENGINE_PATH_MAX  2048

/* One piece of a chunked reply; a list ends with data == NULL. */
struct fake_piece {
	const char *data;
	size_t len; /* 0: strlen(data) */
};

/* First match wins; a table ends with path == NULL. Unmatched requests get
 * 404 {"message":"fake engine: no route for ..."}. */
struct fake_route {
	const char *method;	  /* NULL: any */
	const char *path;	  /* prefix of the request target, e.g. "/v1.41/containers/" */
	int status;		  /* 0: 200 */
	const char *content_type; /* NULL: application/json */
	const char *body;	  /* NULL: empty */
	size_t body_len;	  /* 0: strlen(body) */
	const struct fake_piece *chunks; /* when set, a chunked reply of these pieces */
	int chunk_delay_ms;		 /* before each piece */
	bool one_write;			 /* every piece's chunk in one send(), no delay */
	bool hang;			 /* after the pieces, neither end the reply nor close */
	bool close;			 /* "Connection: close" and close after the reply */
};

struct fake_request {
	char method[16];
	char path[FAKE_ENGINE_PATH_MAX];
	char content_type[128];
	char *body; /* NUL-terminated; NULL when empty */
	size_t body_len;
};

struct fake_conn {
	pthread_t thread;
	int fd;
	bool used;	   /* only the accept thread touches this */
	_Atomic bool done; /* the connection thread has finished */
	struct fake_engine *fe;
};

struct fake_engine {
	char dir[64];
	char sock[96];
	char url[112]; /* "unix:///tmp/fake-engine-XXXXXX/sock" */
	int listen_fd;
	_Atomic bool stopping;
	_Atomic bool down;	    /* close_listener() asked */
	_Atomic bool listen_closed; /* the accept thread did it */
	_Atomic int accepted;	    /* connections accepted so far */
	pthread_t thread;
	pthread_mutex_t lock;
	const struct fake_route *routes;		/* protected by lock */
	struct fake_request reqs[FAKE_ENGINE_MAX_REQS]; /* protected by lock */
	int nreqs;					/* protected by lock */
	struct fake_conn conns[FAKE_ENGINE_MAX_CONNS];
};

/* Starts serving routes (must outlive the server or the next set_routes).
 * Returns 0 or a negative errno. */
int fake_engine_start(struct fake_engine *fe, const struct fake_route *routes);

/* Closes every connection, joins every thread, removes the temp dir. */
void fake_engine_stop(struct fake_engine *fe);

void fake_engine_set_routes(struct fake_engine *fe, const struct fake_route *routes);

/* Closes the listening socket: new connections are refused, as from an
 * engine that went down. Open connections are closed too. */
void fake_engine_close_listener(struct fake_engine *fe);

/* The number of requests served so far, and a copy of request i (negative
 * i counts from the end: -1 is the last). A copy's body is the caller's to
 * free(). Returns false when there is no such request. */
int fake_engine_nreqs(struct fake_engine *fe);
bool fake_engine_request(struct fake_engine *fe, int i, struct fake_request *out);

/* Forgets the recorded requests. */
void fake_engine_clear(struct fake_engine *fe);

#endif
