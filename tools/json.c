// SPDX-License-Identifier: MIT
/*
 * ringmpsc(1): the JSON writer of json.h. Channel names may hold any byte
 * but '/' and NUL, so strings are escaped to stay valid UTF-8 JSON.
 */
#include <stdio.h>

#include "json.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->first[0] = true;
}

/* The length of the UTF-8 sequence at @s, or 0 if it is not one. */
static int utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void json_write_string(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	int n;

	fputc('"', out);
	while (*s) {
		n = utf8_len(s);
		if (*s == '"' || *s == '\\') {
			fprintf(out, "\\%c", *s);
		} else if (*s < 0x20 || *s == 0x7f || n == 0) {
			fprintf(out, "\\u%04x", *s);
			n = 1;
		} else {
			fwrite(s, 1, (size_t)n, out);
			s += n;
			continue;
		}
		s++;
	}
	fputc('"', out);
}

/* The separator and key of a new member. */
static void member(struct json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = false;
	if (key) {
		json_write_string(j->out, key);
		fputc(':', j->out);
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	member(j, key);
	fputc(bracket, j->out);
	if (j->depth + 1 < JSON_MAX_DEPTH)
		j->first[++j->depth] = true;
}

void json_close(struct json *j, char bracket)
{
	fputc(bracket, j->out);
	if (j->depth > 0)
		j->depth--;
}

void json_str(struct json *j, const char *key, const char *s)
{
	member(j, key);
	json_write_string(j->out, s);
}

void json_u64(struct json *j, const char *key, uint64_t v)
{
	member(j, key);
	fprintf(j->out, "%llu", (unsigned long long)v);
}

void json_bool(struct json *j, const char *key, bool v)
{
	member(j, key);
	fputs(v ? "true" : "false", j->out);
}

void json_double(struct json *j, const char *key, double v)
{
	member(j, key);
	fprintf(j->out, "%.1f", v);
}

void json_end(struct json *j)
{
	fputc('\n', j->out);
	fflush(j->out);
}
