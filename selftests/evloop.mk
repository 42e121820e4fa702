# SPDX-License-Identifier: GPL-2.0
#
# evloop_test (selftests/selftests.mk builds and runs it with every other
# *_test) drives the io_uring and libuv adapters against the module, so
# its static binary links liburing and libuv too: Debian ships both as
# archives (liburing.a in liburing-dev, libuv_a.a in libuv1-dev, found
# through libuv-static.pc). ld's warning that libuv's getpwuid_r needs
# glibc's shared libraries at run time is expected: nothing here calls
# it (uv_os_get_passwd).
EVLOOP_TEST := $(BUILD)/selftests/evloop_test

DEPS_PACKAGES += liburing-dev libuv1-dev pkg-config

# Expanded when the link runs, after "make deps" installed pkg-config.
$(EVLOOP_TEST): SELFTEST_LDLIBS = $(shell pkg-config --static --libs libuv-static liburing) -lpthread
