// SPDX-License-Identifier: MIT
/* The encodings of a request body, by name (encoding.h). */
#include <string.h>

#include "encoding.h"

const struct otlp_encoding *otlp_encoding_find(const char *name)
{
	static const struct otlp_encoding *const all[] = {
		&otlp_json_encoding, &otlp_proto_encoding,
	};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(name, all[i]->name))
			return all[i];
	return NULL;
}
