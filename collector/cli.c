// SPDX-License-Identifier: MIT
/* ringmpsc-collector's entry point (collector.h). */
#include "collector.h"

int main(int argc, char **argv)
{
	return collector_main(argc, argv);
}
