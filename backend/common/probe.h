/*
 * backend/common/probe.h - whether an HTTP server answers on a 127.0.0.1
 * port. Docker's proxy accepts a connection on a published port before the
 * container listens, so only a reply counts.
 */
#ifndef NB_PROBE_H
#define NB_PROBE_H

#include <stdbool.h>

/* Sends "GET / HTTP/1.0" to 127.0.0.1:port; true when any reply arrives
 * within timeout_ms. */
bool nb_http_answers(int port, int timeout_ms);

#endif
