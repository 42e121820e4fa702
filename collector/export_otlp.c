// SPDX-License-Identifier: MIT
/*
 * The OTLP/HTTP exporter: POST each batch's body (OTLP/JSON or protobuf,
 * encoding.h) to the traces endpoint through libcurl's multi interface,
 * driven by the collector's event loop (CURLMOPT_SOCKETFUNCTION puts
 * libcurl's sockets into the epoll set, CURLMOPT_TIMERFUNCTION its timeout
 * onto a loop timer), so that requests, ring wakeups and timers share one
 * thread. Outcomes, as
 * the brief of the collector says (spec.md, "Collector"): 2xx exported;
 * 408, 429 and 5xx retried (Retry-After honoured on 429 and 503); any
 * other status rejected for good; no response (refused, reset, timed
 * out, closed mid-body) retried.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "config.h"
#include "encoding.h"
#include "exporter.h"
#include "log.h"

#define RESPONSE_KEEP	512	/* bytes of a response body kept for the log */

struct otlp_request {
	CURL *easy;
	struct batch *batch;	/* NULL: free */
	char error[CURL_ERROR_SIZE];
	char response[RESPONSE_KEEP];
	size_t response_len;
};

struct otlp_exporter {
	struct exporter *e;
	CURLM *multi;
	struct curl_slist *headers;
	struct loop_timer timer;
	struct otlp_request *reqs;
	uint32_t nr_reqs;
};

static bool curl_ready;

/* Sockets and timeouts: what libcurl asks the loop to watch. */

static void run_transfers(struct otlp_exporter *o, curl_socket_t fd, int flags);

static void on_socket(void *ctx, int fd, uint32_t events)
{
	int flags = 0;

	if (events & EPOLLIN)
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		flags |= CURL_CSELECT_ERR;
	run_transfers(ctx, fd, flags);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct otlp_exporter *o = userp;
	uint32_t events = 0;

	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch(o->e->loop, fd);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (loop_watch(o->e->loop, fd, events, on_socket, o)) {
		log_msg(LOG_ERROR, "cannot watch socket %d", fd);
		return -1;
	}
	return 0;
}

static void on_timeout(void *ctx)
{
	run_transfers(ctx, CURL_SOCKET_TIMEOUT, 0);
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct otlp_exporter *o = userp;

	(void)multi;
	if (timeout_ms < 0)
		loop_timer_cancel(o->e->loop, &o->timer);
	else
		loop_timer_arm(o->e->loop, &o->timer,
			       mono_ns() + (uint64_t)timeout_ms * 1000000u);
	return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct otlp_request *r = userp;
	size_t n = size * nmemb, room = RESPONSE_KEEP - 1 - r->response_len;
	size_t keep = n < room ? n : room;

	memcpy(r->response + r->response_len, data, keep);
	r->response_len += keep;
	r->response[r->response_len] = '\0';
	return n;
}

/* Outcomes. */

static void classify(struct otlp_request *r, CURLcode res,
		     struct export_result *out)
{
	long status = 0;
	curl_off_t retry_after = 0;

	*out = (struct export_result){ .retry_after_ns = -1 };
	if (res != CURLE_OK) {
		out->outcome = EXPORT_RETRY;
		snprintf(out->detail, sizeof(out->detail), "%.120s",
			 r->error[0] ? r->error : curl_easy_strerror(res));
		return;
	}
	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	out->http_status = (int)status;
	if (status >= 200 && status < 300)
		out->outcome = EXPORT_OK;
	else if (status == 408 || status == 429 || status >= 500)
		out->outcome = EXPORT_RETRY;
	else
		out->outcome = EXPORT_REJECTED;
	if ((status == 429 || status == 503) &&
	    curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK &&
	    retry_after > 0)
		out->retry_after_ns = (int64_t)retry_after * 1000000000;
	snprintf(out->detail, sizeof(out->detail), "HTTP %ld %.100s", status,
		 r->response);
}

static void finish_done(struct otlp_exporter *o)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(o->multi, &left))) {
		struct otlp_request *r = NULL;
		struct export_result res;
		struct batch *b;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		classify(r, msg->data.result, &res);
		curl_multi_remove_handle(o->multi, r->easy);
		b = r->batch;
		r->batch = NULL;
		if (res.http_status)
			o->e->metrics->http_responses[res.http_status / 100 % 6]++;
		else
			o->e->metrics->transport_errors++;
		o->e->done(o->e->done_ctx, b, &res);
	}
}

static void run_transfers(struct otlp_exporter *o, curl_socket_t fd, int flags)
{
	int running;
	CURLMcode mc = curl_multi_socket_action(o->multi, fd, flags, &running);

	if (mc != CURLM_OK)
		log_msg(LOG_WARN, "curl: %s", curl_multi_strerror(mc));
	finish_done(o);
}

static int otlp_export(struct exporter *e, struct batch *b)
{
	struct otlp_exporter *o = e->priv;
	struct otlp_request *r = NULL;

	for (uint32_t i = 0; i < o->nr_reqs && !r; i++)
		if (!o->reqs[i].batch)
			r = &o->reqs[i];
	if (!r)
		return -EBUSY;
	r->batch = b;
	r->error[0] = '\0';
	r->response_len = 0;
	r->response[0] = '\0';
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, b->body.p);
	curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->body.len);
	if (curl_multi_add_handle(o->multi, r->easy) != CURLM_OK) {
		r->batch = NULL;
		return -EIO;
	}
	/* libcurl starts the transfer from its timer callback. */
	return 0;
}

static int otlp_flush(struct exporter *e)
{
	(void)e;
	return 0;	/* nothing is buffered outside the requests in flight */
}

static void otlp_shutdown(struct exporter *e)
{
	struct otlp_exporter *o = e->priv;

	if (!o)
		return;
	loop_timer_cancel(e->loop, &o->timer);
	for (uint32_t i = 0; i < o->nr_reqs; i++) {
		if (o->reqs[i].batch)
			curl_multi_remove_handle(o->multi, o->reqs[i].easy);
		if (o->reqs[i].easy)
			curl_easy_cleanup(o->reqs[i].easy);
	}
	curl_multi_cleanup(o->multi);
	curl_slist_free_all(o->headers);
	free(o->reqs);
	free(o);
	e->priv = NULL;
}

static const struct exporter_ops otlp_ops = {
	.name = "otlp",
	.export = otlp_export,
	.flush = otlp_flush,
	.shutdown = otlp_shutdown,
};

static int setup_easy(struct otlp_exporter *o, struct otlp_request *r,
		      const struct config *cfg)
{
	r->easy = curl_easy_init();
	if (!r->easy)
		return -ENOMEM;
	curl_easy_setopt(r->easy, CURLOPT_URL, cfg->endpoint);
	curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, o->headers);
	curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->error);
	curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
	curl_easy_setopt(r->easy, CURLOPT_USERAGENT,
			 "ringmpsc-collector/" RINGMPSC_VERSION_STRING);
	return 0;
}

int otlp_exporter_init(struct exporter *e, const struct config *cfg)
{
	struct otlp_exporter *o;
	char content_type[64];

	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
			log_msg(LOG_ERROR, "libcurl initialisation failed");
			return -EIO;
		}
		curl_ready = true;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->e = e;
	e->ops = &otlp_ops;
	e->priv = o;
	e->max_inflight = cfg->max_requests;
	loop_timer_init(&o->timer, on_timeout, o);
	o->multi = curl_multi_init();
	snprintf(content_type, sizeof(content_type), "Content-Type: %s",
		 otlp_encoding_find(cfg->otlp_encoding)->content_type);
	o->headers = curl_slist_append(NULL, content_type);
	for (uint32_t i = 0; i < cfg->nr_headers && o->headers; i++)
		o->headers = curl_slist_append(o->headers, cfg->headers[i]);
	o->nr_reqs = cfg->max_requests;
	o->reqs = calloc(o->nr_reqs, sizeof(*o->reqs));
	if (!o->multi || !o->headers || !o->reqs)
		goto nomem;
	curl_multi_setopt(o->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(o->multi, CURLMOPT_SOCKETDATA, o);
	curl_multi_setopt(o->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(o->multi, CURLMOPT_TIMERDATA, o);
	for (uint32_t i = 0; i < o->nr_reqs; i++)
		if (setup_easy(o, &o->reqs[i], cfg))
			goto nomem;
	return 0;
nomem:
	otlp_shutdown(e);
	return -ENOMEM;
}
