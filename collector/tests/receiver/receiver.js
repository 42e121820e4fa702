// SPDX-License-Identifier: MIT
//
// An OTLP/HTTP traces receiver for testing ringmpsc-collector. Every
// request is decoded with the OpenTelemetry project's own definitions
// (the protobufjs root generated from opentelemetry-proto, shipped by
// npm @opentelemetry/otlp-transformer) and re-encoded to protobuf and
// decoded again, so a body the real schema does not describe fails. The
// spans of the collector's built-in load producers are checked field for
// field against the formula of collector/loadgen.c. Responses follow a
// schedule of faults.
//
// As a module: createReceiver({ schedule }) -> { listen(port), close(),
// summary() }. As a program: node receiver.js [--port N] [--schedule S]
// [--idle-exit-ms MS] [--expect-spans N]; prints the summary as JSON when
// it stops (SIGTERM, SIGINT, or no request for MS), or with
// --expect-spans, a report for a person and exit status 1 unless all N
// distinct load spans arrived intact.
'use strict';

const http = require('http');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const EPOCH_NS = 1700000000000000000n;

// OTLP/JSON writes trace and span ids as hex, where protobuf's JSON
// mapping has base64: the one documented difference, undone here.
function hexIdsToBase64(obj) {
	for (const rs of obj.resourceSpans || [])
		for (const ss of rs.scopeSpans || [])
			for (const sp of ss.spans || [])
				for (const k of ['traceId', 'spanId', 'parentSpanId'])
					if (typeof sp[k] === 'string') {
						if (!/^([0-9a-f]{2})*$/.test(sp[k]))
							throw new Error(`${k} is not lowercase hex: ${sp[k]}`);
						sp[k] = Buffer.from(sp[k], 'hex').toString('base64');
					}
	return obj;
}

// JSON with keys sorted, for comparing objects.
function canonical(v) {
	if (Array.isArray(v))
		return `[${v.map(canonical).join(',')}]`;
	if (v && typeof v === 'object')
		return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`).join(',')}}`;
	return JSON.stringify(v);
}

const TO_OBJECT = { longs: String, bytes: String, enums: Number, defaults: false };

function decode(body, contentType) {
	let msg;
	if (contentType === 'application/x-protobuf') {
		msg = Request.decode(body);
		// decode() skips what the schema does not name: encoding the
		// message again must give back every byte of the body (the
		// collector writes fields in order, as protobufjs does).
		if (!Buffer.from(Request.encode(msg).finish()).equals(body))
			throw new Error('bytes the OTLP schema does not describe, or out of its order');
	} else if (contentType === 'application/json') {
		const obj = hexIdsToBase64(JSON.parse(body.toString('utf8')));
		msg = Request.fromObject(obj);
		// fromObject() ignores what the schema does not name: the
		// message must give back every key and value of the body.
		if (canonical(Request.toObject(msg, TO_OBJECT)) !== canonical(obj))
			throw new Error('fields the OTLP schema does not have, or values of the wrong type');
	} else {
		throw new Error(`Content-Type ${contentType}`);
	}
	// Through the wire format and back, with the same definitions.
	return Request.decode(Request.encode(msg).finish());
}

const hex = (b) => Buffer.from(b || []).toString('hex');
const big = (v) => BigInt(v.toString());

function spanIdOf(producer, seq) {
	const v = (BigInt(producer + 1) << 40n) | (seq & 0xffffffffffn);
	return v.toString(16).padStart(16, '0');
}

// An AnyValue as [type letter, value]; "value" names its oneof member.
function attrValue(v) {
	switch (v.value) {
	case 'stringValue': return ['s', v.stringValue];
	case 'intValue': return ['i', big(v.intValue)];
	case 'doubleValue': return ['d', v.doubleValue];
	case 'boolValue': return ['b', v.boolValue];
	default: return ['?', v.value];
	}
}

// The first span of a decoded request, for a person to read: ids in hex,
// times and integers as decimal strings, attributes as key: value.
function readableSpan(msg) {
	const rs = msg.resourceSpans[0];
	const ss = rs && rs.scopeSpans[0];
	const sp = ss && ss.spans[0];
	if (!sp)
		return null;
	const plain = (v) => (typeof v === 'bigint' ? v.toString() : v);
	const attrs = (list) => Object.fromEntries((list || []).map(
		(a) => [a.key, plain(attrValue(a.value)[1])]));
	return {
		resource: attrs(rs.resource && rs.resource.attributes),
		scope: ss.scope ? ss.scope.name : '',
		traceId: hex(sp.traceId), spanId: hex(sp.spanId),
		parentSpanId: hex(sp.parentSpanId), name: sp.name, kind: sp.kind,
		startTimeUnixNano: sp.startTimeUnixNano.toString(),
		endTimeUnixNano: sp.endTimeUnixNano.toString(),
		status: { code: sp.status ? sp.status.code : 0,
			  message: (sp.status && sp.status.message) || '' },
		attributes: attrs(sp.attributes),
	};
}

// What loadgen_span() wrote for (producer, seq); '' when all is right.
function checkLoadSpan(service, sp) {
	const tid = hex(sp.traceId);
	if (tid.length !== 32 || !tid.endsWith('524d5043'))
		return `not a load span: traceId ${tid}`;
	const producer = parseInt(tid.slice(0, 8), 16);
	const seq = BigInt('0x' + tid.slice(8, 24));
	const want = [];
	const eq = (what, got, exp) => {
		if (got !== exp) want.push(`${what}: got ${got}, want ${exp}`);
	};
	eq('service.name', service, `load-${producer}`);
	eq('spanId', hex(sp.spanId), spanIdOf(producer, seq));
	eq('parentSpanId', hex(sp.parentSpanId),
	   seq % 4n ? spanIdOf(producer, seq - 1n) : '');
	eq('name', sp.name, `op-${seq % 7n}`);
	eq('kind', sp.kind, Number(1n + seq % 5n));
	const start = EPOCH_NS + seq * 1000n;
	eq('startTimeUnixNano', big(sp.startTimeUnixNano), start);
	eq('endTimeUnixNano', big(sp.endTimeUnixNano), start + 500n + seq % 1000n);
	const attrs = (sp.attributes || []).map((a) => [a.key, ...attrValue(a.value)]);
	const exp = [['seq', 'i', seq], ['producer', 'i', BigInt(producer)],
		     ['label', 's', `v${seq}"\\\u0001\ufffd\u20ac`], ['half', 'd', Number(seq) / 2],
		     ['odd', 'b', (seq & 1n) === 1n]];
	eq('attributes', JSON.stringify(attrs, (k, v) => typeof v === 'bigint' ? v.toString() : v),
	   JSON.stringify(exp, (k, v) => typeof v === 'bigint' ? v.toString() : v));
	const code = Number(seq % 3n);
	eq('status.code', sp.status ? sp.status.code : 0, code);
	eq('status.message', (sp.status && sp.status.message) || '',
	   code === 2 ? `err${seq % 10n}` : '');
	return want.length ? `producer ${producer} seq ${seq}: ${want.join('; ')}` :
		{ producer, seq };
}

// Schedule: comma-separated responses to requests in arrival order, then
// 200 for ever: ok | CODE (500, 503, 400, ...) | 429:SECS and 503:SECS
// (Retry-After) | slow:MS (200 after MS) | close (connection dropped in
// the middle of the response body) | CODExN (N times).
function parseSchedule(s) {
	const out = [];
	for (const item of (s || '').split(',').filter(Boolean)) {
		const m = /^(.*)x(\d+)$/.exec(item);
		const n = m ? Number(m[2]) : 1;
		for (let i = 0; i < n; i++) out.push(m ? m[1] : item);
	}
	return out;
}

function createReceiver(opts = {}) {
	const schedule = parseSchedule(opts.schedule);
	const seen = new Map();		// "producer/seq" -> times accepted
	const accepts = [];		// [ms, spans] of each accepted request
	const s = {
		requests: 0, accepted_requests: 0, spans_accepted: 0,
		rejected_spans: 0, failed_spans: 0, decode_errors: 0,
		field_errors: 0, order_errors: 0, first_errors: [],
		repeated_requests: [],	// "request:action:spans seen before"
		first_accept_ms: 0, first_request_spans: 0, last_accept_ms: 0,
		content_types: [], max_body_bytes: 0,
		first_span: null,	// of the first accepted request
	};
	const note = (e) => { if (s.first_errors.length < 5) s.first_errors.push(e); };
	let lastRequest = Date.now();

	const server = http.createServer((req, res) => {
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			lastRequest = Date.now();
			const action = schedule[s.requests] || 'ok';
			s.requests++;
			let msg;
			try {
				const body = Buffer.concat(chunks);
				const type = req.headers['content-type'] || '';
				if (!s.content_types.includes(type))
					s.content_types.push(type);
				s.max_body_bytes = Math.max(s.max_body_bytes, body.length);
				if (req.method !== 'POST' || req.url !== '/v1/traces')
					throw new Error(`${req.method} ${req.url}`);
				msg = decode(body, type);
			} catch (e) {
				s.decode_errors++;
				note(`request ${s.requests}: ${e.message}`);
				res.writeHead(400).end('undecodable');
				return;
			}
			const spans = [];
			for (const rs of msg.resourceSpans) {
				const svc = (rs.resource.attributes.find((a) => a.key === 'service.name') || {}).value;
				for (const ss of rs.scopeSpans)
					for (const sp of ss.spans)
						spans.push(checkLoadSpan(svc ? svc.stringValue : '', sp));
			}
			// Within a request, each producer's spans come in the order
			// it recorded them. INV-COLL-07.
			const last = new Map();
			for (const r of spans) {
				if (typeof r === 'string') continue;
				if (last.has(r.producer) && last.get(r.producer) >= r.seq) {
					s.order_errors++;
					note(`request ${s.requests}: producer ${r.producer} seq ${r.seq} after ${last.get(r.producer)}`);
				}
				last.set(r.producer, r.seq);
			}
			const accept = () => {
				const again = spans.filter((r) => typeof r !== 'string' &&
							  seen.has(`${r.producer}/${r.seq}`)).length;
				if (again && s.repeated_requests.length < 10)
					s.repeated_requests.push(`${s.requests}:${action}:${again}`);
				s.accepted_requests++;
				const now = Date.now();
				if (!s.first_accept_ms) {
					s.first_accept_ms = now;
					s.first_request_spans = spans.length;
					s.first_span = readableSpan(msg);
				}
				s.last_accept_ms = now;
				accepts.push([now, spans.length]);
				for (const r of spans) {
					if (typeof r === 'string') {
						s.field_errors++;
						note(r);
						continue;
					}
					const k = `${r.producer}/${r.seq}`;
					seen.set(k, (seen.get(k) || 0) + 1);
					s.spans_accepted++;
				}
			};
			const [kind, arg] = action.split(':');
			if (kind === 'ok') {
				accept();
				res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
			} else if (kind === 'slow') {
				// The backend takes it, but answers after the client's
				// timeout: the client retries, and the spans come twice.
				accept();
				setTimeout(() => { if (!res.destroyed) res.writeHead(200).end('{}'); }, Number(arg));
			} else if (kind === 'close') {
				// The connection drops in the middle of the response
				// body: the client cannot know whether we took it.
				s.failed_spans += spans.length;
				res.writeHead(200, { 'Content-Length': '64' });
				res.write('{"partialSuccess":', () => req.socket.destroy());
			} else {
				const code = Number(kind);
				if (code >= 400 && code < 500 && code !== 408 && code !== 429)
					s.rejected_spans += spans.length;
				else
					s.failed_spans += spans.length;
				const h = arg ? { 'Retry-After': arg } : {};
				res.writeHead(code, h).end(`{"message":"scheduled ${code}"}`);
			}
		});
	});

	return {
		server,
		seen,
		listen(port = 0) {
			return new Promise((resolve, reject) => {
				server.once('error', reject);
				server.listen(port, '127.0.0.1', () => resolve(server.address().port));
			});
		},
		close() {
			server.closeAllConnections && server.closeAllConnections();
			return new Promise((resolve) => server.close(() => resolve()));
		},
		idleMs() { return Date.now() - lastRequest; },
		accepts,
		summary() {
			let dup = 0;
			for (const n of seen.values()) dup += n - 1;
			return { ...s, unique: seen.size, duplicates: dup };
		},
	};
}

module.exports = { createReceiver, decode, checkLoadSpan };

// --expect-spans N (make demo): what a person checks, in words; false
// unless all N distinct spans of the load producers came, each intact.
function report(s, expected) {
	const lines = [
		`requests ${s.requests} (accepted ${s.accepted_requests}), content types ${s.content_types.join(' ')}`,
		`spans accepted ${s.spans_accepted}: ${s.unique} distinct of the ${expected} recorded, ` +
			`${s.duplicates} duplicates (at least once: sent again after a crash or a lost answer)`,
		`undecodable requests ${s.decode_errors}, spans with a wrong field ${s.field_errors}, ` +
			`out of a producer's order ${s.order_errors}`,
		...s.first_errors.map((e) => `error: ${e}`),
		...(s.first_span ? ['the first span, decoded with the OpenTelemetry definitions:',
				    ...JSON.stringify(s.first_span, null, 2).split('\n').map((l) => `  ${l}`)] :
		    ['no span arrived']),
	];
	const ok = s.unique === expected && !s.decode_errors && !s.field_errors &&
		!s.order_errors;
	lines.push(ok ? `every span arrived: ${s.unique}/${expected}` :
		`FAILED: ${expected - s.unique} of ${expected} spans never arrived, ` +
		`${s.decode_errors + s.field_errors + s.order_errors} errors`);
	console.log(lines.map((l) => `receiver: ${l}`).join('\n'));
	return ok;
}

if (require.main === module) {
	const args = process.argv.slice(2);
	const opt = (name, def) => {
		const i = args.indexOf(name);
		return i >= 0 ? args[i + 1] : def;
	};
	const r = createReceiver({ schedule: opt('--schedule', '') });
	const idle = Number(opt('--idle-exit-ms', '0'));
	const expected = opt('--expect-spans', '');
	const stop = async () => {
		await r.close();
		if (!expected) {
			console.log(JSON.stringify(r.summary()));
			process.exit(0);
		}
		process.exit(report(r.summary(), Number(expected)) ? 0 : 1);
	};
	r.listen(Number(opt('--port', '4318'))).then((port) => {
		console.error(`receiver: listening on 127.0.0.1:${port}`);
		if (idle)
			setInterval(() => { if (r.idleMs() > idle) stop(); }, 200).unref();
	});
	process.on('SIGTERM', stop);
	process.on('SIGINT', stop);
}
