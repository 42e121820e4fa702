# libringmpsc: static and shared library, its installation, and its host
# tests.
LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/%.o,$(LIB_SRCS))
LIB_PIC_OBJS := $(patsubst lib/%.c,$(BUILD)/lib/pic/%.o,$(LIB_SRCS))
LIBRINGMPSC_A := $(BUILD)/lib/libringmpsc.a
# The shared object: file libringmpsc.so.MAJOR.MINOR.PATCH, soname
# libringmpsc.so.MAJOR (what programs record and the loader looks for),
# link name libringmpsc.so (what -lringmpsc finds); the numbers are the
# release's (RINGMPSC_VERSION_* in the Makefile). It exports exactly the
# symbols of the version script.
LIB_SO_LINK := libringmpsc.so
LIB_SONAME := $(LIB_SO_LINK).$(RINGMPSC_VERSION_MAJOR)
LIB_SO_FILE := $(LIB_SO_LINK).$(RINGMPSC_VERSION)
LIBRINGMPSC_SO := $(BUILD)/lib/$(LIB_SO_FILE)
LIB_VERSION_SCRIPT := lib/libringmpsc.map
# Libraries beyond libc the library needs: linked into the shared object,
# and Libs.private of ringmpsc.pc (what a static link adds).
LIB_LDLIBS :=
# Public headers (lib/include: <ringmpsc.h>, <ringmpsc/*.h>) and the ABI.
LIB_INCLUDE_HDRS := $(patsubst lib/include/%,%,$(wildcard lib/include/*.h lib/include/ringmpsc/*.h))
LIB_PUBLIC_HDRS := $(addprefix lib/include/,$(LIB_INCLUDE_HDRS)) \
		   uapi/linux/ringmpsc.h
LIB_HDRS := $(LIB_PUBLIC_HDRS) lib/internal.h
# Installed, <linux/ringmpsc.h> lives in a directory of its own, which
# ringmpsc.pc puts on the include path: it never lands among the system's
# kernel headers (spec.md, section 5).
LIB_UAPI_INCDIR = $(INCLUDEDIR)/ringmpsc/uapi

ALL_TARGETS += $(LIBRINGMPSC_A) $(LIBRINGMPSC_SO)
LINT_USER_SOURCES += $(LIB_SRCS)
INSTALL_TARGETS += install-lib
UNINSTALL_TARGETS += uninstall-lib

$(BUILD)/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ilib -c -o $@ $<

$(BUILD)/lib/pic/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -Ilib -c -o $@ $<

$(LIBRINGMPSC_A): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# -z defs: every symbol the library uses is resolved at link time.
$(LIBRINGMPSC_SO): $(LIB_PIC_OBJS) $(LIB_VERSION_SCRIPT)
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) \
		-Wl,--version-script=$(LIB_VERSION_SCRIPT) -Wl,-z,defs \
		$(LDFLAGS) -o $@ $(LIB_PIC_OBJS) $(LIB_LDLIBS)
	ln -sf $(LIB_SO_FILE) $(BUILD)/lib/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(BUILD)/lib/$(LIB_SO_LINK)

# ringmpsc.pc, from lib/ringmpsc.pc.in; a directory under PREFIX is
# written relative to ${prefix}.
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# Directories only ringmpsc uses, deepest first: uninstall removes them
# when empty.
LIB_OWN_INCDIRS = $(LIB_UAPI_INCDIR)/linux $(LIB_UAPI_INCDIR) $(INCLUDEDIR)/ringmpsc

.PHONY: install-lib uninstall-lib
install-lib: $(LIBRINGMPSC_A) $(LIBRINGMPSC_SO) lib/ringmpsc.pc.in
	$(call install_files,644,$(LIBDIR),$(LIBRINGMPSC_A))
	$(call install_files,755,$(LIBDIR),$(LIBRINGMPSC_SO))
	ln -sf $(LIB_SO_FILE) "$(DESTDIR)$(LIBDIR)/$(LIB_SONAME)"
	ln -sf $(LIB_SONAME) "$(DESTDIR)$(LIBDIR)/$(LIB_SO_LINK)"
	for h in $(LIB_INCLUDE_HDRS); do \
		$(INSTALL) -D -m 644 lib/include/$$h "$(DESTDIR)$(INCLUDEDIR)/$$h" || exit 1; \
	done
	$(call install_files,644,$(LIB_UAPI_INCDIR)/linux,uapi/linux/ringmpsc.h)
	$(INSTALL) -d "$(DESTDIR)$(PKGCONFIGDIR)"
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	    -e 's|@LIBDIR@|$(call pc_dir,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(INCLUDEDIR))|' \
	    -e 's|@UAPI_INCDIR@|$(call pc_dir,$(LIB_UAPI_INCDIR))|' \
	    -e 's|@VERSION@|$(RINGMPSC_VERSION)|' \
	    -e 's|@LIBS_PRIVATE@|$(LIB_LDLIBS)|' \
	    lib/ringmpsc.pc.in >"$(DESTDIR)$(PKGCONFIGDIR)/ringmpsc.pc"

uninstall-lib:
	rm -f "$(DESTDIR)$(LIBDIR)/$(notdir $(LIBRINGMPSC_A))" \
	      "$(DESTDIR)$(LIBDIR)/$(LIB_SO_FILE)" \
	      "$(DESTDIR)$(LIBDIR)/$(LIB_SONAME)" \
	      "$(DESTDIR)$(LIBDIR)/$(LIB_SO_LINK)" \
	      "$(DESTDIR)$(PKGCONFIGDIR)/ringmpsc.pc" \
	      $(foreach h,$(LIB_INCLUDE_HDRS),"$(DESTDIR)$(INCLUDEDIR)/$(h)") \
	      "$(DESTDIR)$(LIB_UAPI_INCDIR)/linux/ringmpsc.h"
	for d in $(foreach d,$(LIB_OWN_INCDIRS),"$(DESTDIR)$(d)"); do \
		[ ! -d "$$d" ] || rmdir --ignore-fail-on-non-empty "$$d"; \
	done

# Host tests of the ring core (unit, stress, sanitizers, valgrind).
-include lib/tests/tests.mk
# ... which rebuild with any header of the library, not only ringmpsc.h.
$(LIB_TEST_BINS) $(LIB_TEST_TSAN_OBJS) $(LIB_TEST_ASAN_OBJS): $(LIB_HDRS)
