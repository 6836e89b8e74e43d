/*
 * backend/engine/logline.c - the engine's log stream, line by line: parses the
 * RFC 3339 timestamps the engine puts before each message and splits its
 * output into whole lines, dropping what a resumed capture already wrote.
 * No I/O, no locks; the workload core's log capture drives it.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "backend/common/buf.h"
#include "backend/engine/logline.h"

/* ---- timestamps ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Reads n digits at *p; -1 when they are not all digits. */
static int digits(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
	}
	return v;
}

static bool expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return false;
	(*p)++;
	return true;
}

int engine_ts_parse(const char *s, size_t len, struct engine_ts *out)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h, mi, sec, nsec = 0, scale = 100000000, off = 0;

	y = digits(&p, end, 4);
	if (y < 0 || !expect(&p, end, '-') || (mo = digits(&p, end, 2)) < 1 || mo > 12 ||
	    !expect(&p, end, '-') || (d = digits(&p, end, 2)) < 1 || d > 31 ||
	    !expect(&p, end, 'T') || (h = digits(&p, end, 2)) < 0 || h > 23 ||
	    !expect(&p, end, ':') || (mi = digits(&p, end, 2)) < 0 || mi > 59 ||
	    !expect(&p, end, ':') || (sec = digits(&p, end, 2)) < 0 || sec > 60)
		return -EINVAL;
	if (expect(&p, end, '.')) {
		if (p >= end || *p < '0' || *p > '9')
			return -EINVAL;
		for (; p < end && *p >= '0' && *p <= '9'; p++, scale /= 10)
			nsec += (*p - '0') * scale; /* digits past the 9th add 0 */
	}
	if (!expect(&p, end, 'Z')) {
		int sign = p < end && *p == '-' ? -1 : 1, oh, om;

		if (p >= end || (*p != '+' && *p != '-'))
			return -EINVAL;
		p++;
		if ((oh = digits(&p, end, 2)) < 0 || oh > 23 || !expect(&p, end, ':') ||
		    (om = digits(&p, end, 2)) < 0 || om > 59)
			return -EINVAL;
		off = sign * (oh * 3600 + om * 60);
	}
	if (p != end)
		return -EINVAL;
	out->sec = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 +
		   sec - off;
	out->nsec = nsec;
	return 0;
}

int engine_ts_cmp(const struct engine_ts *a, const struct engine_ts *b)
{
	if (a->sec != b->sec)
		return a->sec < b->sec ? -1 : 1;
	if (a->nsec != b->nsec)
		return a->nsec < b->nsec ? -1 : 1;
	return 0;
}

/* ---- line buffer ---- */

enum { LB_START, LB_TS, LB_TEXT, LB_SKIP };

static int lb_emit(struct engine_linebuf *lb, engine_line_cb cb, void *ud)
{
	struct engine_line line = { .text = lb->line.data ? lb->line.data : "",
				    .len = lb->line.len,
				    .has_ts = lb->has_ts,
				    .ts = lb->ts,
				    .nts = lb->nts };
	int ret;

	if (lb->strip_cr && line.len && line.text[line.len - 1] == '\r')
		line.len--;
	ret = cb(ud, &line);
	nb_buf_reset(&lb->line);
	lb->open = lb->has_ts = false;
	lb->nts = 0;
	return ret;
}

/* A message turned out to have no time: what looked like one is text. */
static int lb_ts_is_text(struct engine_linebuf *lb)
{
	lb->open = true;
	lb->state = LB_TEXT;
	if (nb_buf_append(&lb->line, lb->tsbuf, lb->tslen) < 0)
		return -ENOMEM;
	lb->tslen = 0;
	return 0;
}

/* A message with time t starts: skip it if a resumed capture wrote it. */
static void lb_message_time(struct engine_linebuf *lb, const struct engine_ts *t)
{
	struct engine_logmark *r = lb->resume;
	int c = r ? engine_ts_cmp(t, &r->ts) : 1;

	if (c < 0 || (c == 0 && r->count > 0)) {
		if (c == 0)
			r->count--;
		lb->state = LB_SKIP;
		return;
	}
	lb->state = LB_TEXT;
	lb->open = true;
	c = lb->has_ts ? engine_ts_cmp(t, &lb->ts) : 1;
	if (c > 0) {
		lb->ts = *t;
		lb->nts = 0;
	}
	if (c >= 0)
		lb->nts++;
	lb->has_ts = true;
}

/* Collects a message's leading "<time> "; returns the bytes consumed. */
static int lb_collect_ts(struct engine_linebuf *lb, const char *data, size_t len, size_t *used)
{
	size_t room = sizeof(lb->tsbuf) - lb->tslen, n = len < room ? len : room;
	const char *sp = memchr(data, ' ', n), *nl = memchr(data, '\n', n);
	struct engine_ts t;

	if (nl && (!sp || nl < sp)) {
		*used = 0;
		return lb_ts_is_text(lb);
	}
	if (!sp) {
		if (n == room) {
			*used = 0;
			return lb_ts_is_text(lb);
		}
		memcpy(lb->tsbuf + lb->tslen, data, n);
		lb->tslen += n;
		*used = n;
		return 0;
	}
	memcpy(lb->tsbuf + lb->tslen, data, (size_t)(sp - data));
	lb->tslen += (size_t)(sp - data);
	if (engine_ts_parse(lb->tsbuf, lb->tslen, &t) < 0) {
		*used = (size_t)(sp - data); /* already in tsbuf; the space is text */
		return lb_ts_is_text(lb);
	}
	lb->tslen = 0;
	*used = (size_t)(sp - data) + 1;
	lb_message_time(lb, &t);
	return 0;
}

int engine_linebuf_feed(struct engine_linebuf *lb, const char *data, size_t len, engine_line_cb cb,
			void *ud)
{
	while (len) {
		const char *nl;
		size_t n;
		int ret;

		switch (lb->state) {
		case LB_START:
			lb->tslen = 0;
			lb->state = lb->timestamps ? LB_TS : LB_TEXT;
			lb->open = lb->open || !lb->timestamps;
			continue;
		case LB_TS:
			if ((ret = lb_collect_ts(lb, data, len, &n)) < 0)
				return ret;
			break;
		case LB_SKIP:
			nl = memchr(data, '\n', len);
			n = nl ? (size_t)(nl - data) + 1 : len;
			if (nl)
				lb->state = LB_START;
			break;
		default: /* LB_TEXT */
			nl = memchr(data, '\n', len);
			n = nl ? (size_t)(nl - data) : len;
			if (lb->line.len + n > ENGINE_LINE_MAX)
				n = ENGINE_LINE_MAX - lb->line.len;
			if (nb_buf_append(&lb->line, data, n) < 0)
				return -ENOMEM;
			if (nl && n == (size_t)(nl - data)) {
				n++;
				lb->state = LB_START;
			} else if (lb->line.len < ENGINE_LINE_MAX) {
				break;
			}
			data += n;
			len -= n;
			if ((ret = lb_emit(lb, cb, ud)))
				return ret;
			/* a cut line goes on as text without a time of its own */
			lb->open = lb->state == LB_TEXT;
			continue;
		}
		data += n;
		len -= n;
	}
	return 0;
}

void engine_linebuf_end_message(struct engine_linebuf *lb)
{
	/* A message too short to hold "<time> " is text; only -ENOMEM can fail
	 * here, and then the few bytes are lost rather than the line. */
	if (lb->state == LB_TS && lb->tslen)
		lb_ts_is_text(lb);
	lb->state = LB_START;
}

int engine_linebuf_flush(struct engine_linebuf *lb, engine_line_cb cb, void *ud)
{
	if (lb->state == LB_TS && lb->tslen && lb_ts_is_text(lb) < 0)
		return -ENOMEM;
	lb->state = LB_START;
	if (!lb->open)
		return 0;
	return lb_emit(lb, cb, ud);
}

void engine_linebuf_free(struct engine_linebuf *lb)
{
	nb_buf_free(&lb->line);
}
