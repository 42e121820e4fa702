# SPDX-License-Identifier: GPL-2.0
#
# ringmpsc: top-level build.
#
#   make              module (for KDIR) + everything the fragments list
#   make demo         install deps, build everything, boot the demo VM
#   make check        deps, build, lint, host tests, VM tests on every
#                     kernel of VM_KERNELS, model checks; fails on any failure
#   make install      library, headers, ringmpsc.pc, man pages, programs
#                     (PREFIX=/usr/local, DESTDIR, BINDIR, SBINDIR, LIBDIR,
#                     INCLUDEDIR, MANDIR); make uninstall removes them
#   make dkms-install the module's source under DKMS (root), built and
#                     installed for the running kernel; make dkms-uninstall
#   make modules_install  the module built for KDIR, into its module tree
#   make help         all targets and variables
#
# The kernel module is built by kbuild from the top-level Kbuild (obj-m +=
# kmod/). Everything else (user space) goes under $(BUILD)/.
#
# Fragments: every */*.mk that exists is included (lib/lib.mk first). A
# fragment appends to these variables, which this file consumes:
#   ALL_TARGETS          files/targets "make all" builds
#   CHECK_HOST_TARGETS   targets "make check" runs before the VM tests
#   CHECK_MODEL_TARGETS  targets "make check" runs after the VM tests
#   VM_TEST_BINS         static kselftest binaries run in the VM
#   DEMO_BINS            binaries put on the demo VM's PATH
#   DEMO_SCRIPT          (may be set) what the demo VM runs, default
#                        scripts/vm-demo.sh
#   DEMO_RUNNER          (may be set) the command that boots it, given
#                        vm-run's arguments; default scripts/vm-run
#   DEMO_DEPS            further prerequisites of the demo
#   LINT_USER_SOURCES    user-space C files "make lint" compiles with
#                        LINT_WARNINGS (and LINT_CFLAGS, for include dirs)
#   LINT_TARGETS         further targets "make lint" runs (man pages, ...)
#   INSTALL_BINS         programs "make install" puts in BINDIR, and
#   INSTALL_SBINS        daemons it puts in SBINDIR: one line per program,
#                        e.g. INSTALL_BINS += $(BUILD)/tools/ringmpsc; each
#                        needs its page in man/man1/ or man/man8/
#   INSTALL_TARGETS      targets "make install" runs (library, man pages),
#   UNINSTALL_TARGETS    and their counterparts "make uninstall" runs
#   DEPS_PACKAGES        extra Debian packages for scripts/install-deps
#   CLEAN_FILES          extra files "make clean" removes
# and may define LIBRINGMPSC_A (the static library selftests link).
#
# A check target may report its own counts by writing one line
# "N passed, N failed[, N skipped]" to the file named by $RINGMPSC_RESULT
# (set by "make check"); a target that does not counts as one test.

BUILD   := build
RESULTS := $(BUILD)/results
CC      ?= gcc
CFLAGS  := -O2 -g -Wall -Wextra -Werror -std=gnu11 -D_GNU_SOURCE \
	   -Iuapi -Ilib/include
LDFLAGS :=
LDLIBS  :=

# Timeouts for the VM (whole boot) and for each test binary inside it;
# extra kernel command line for the VM (e.g. VM_APPEND=panic_on_warn=0).
VM_TIMEOUT   ?= 600
TEST_TIMEOUT ?= 300
VM_APPEND    ?=
VM_RUN_OPTS   = -t $(VM_TIMEOUT) -T $(TEST_TIMEOUT) \
		$(if $(VM_APPEND),--append "$(VM_APPEND)")

MODULE_NAME := ringmpsc

# The release number has one definition, RINGMPSC_VERSION_* in the ABI
# header; the shared object's name, ringmpsc.pc and DKMS take it from there
# (as the module's MODULE_VERSION and ringmpsc_version() do).
ringmpsc_version_part = $(shell sed -n 's/^\#define[[:space:]]*RINGMPSC_VERSION_$(1)[[:space:]]*\([0-9]*\).*/\1/p' uapi/linux/ringmpsc.h)
RINGMPSC_VERSION_MAJOR := $(call ringmpsc_version_part,MAJOR)
RINGMPSC_VERSION_MINOR := $(call ringmpsc_version_part,MINOR)
RINGMPSC_VERSION_PATCH := $(call ringmpsc_version_part,PATCH)
RINGMPSC_VERSION := $(RINGMPSC_VERSION_MAJOR).$(RINGMPSC_VERSION_MINOR).$(RINGMPSC_VERSION_PATCH)

# Where "make install" puts things (GNU names; DESTDIR stages a package).
PREFIX       ?= /usr/local
BINDIR       ?= $(PREFIX)/bin
SBINDIR      ?= $(PREFIX)/sbin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
MANDIR       ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=
INSTALL      ?= install
# Run after installing or removing a shared library outside a DESTDIR, so
# that the dynamic linker finds it in PREFIX (empty: do not run).
LDCONFIG     ?= $(if $(DESTDIR),,$(shell test "$$(id -u)" = 0 && command -v ldconfig))

ALL_TARGETS :=
CHECK_HOST_TARGETS :=
CHECK_MODEL_TARGETS :=
VM_TEST_BINS :=
DEMO_BINS :=
LINT_USER_SOURCES :=
LINT_CFLAGS :=
LINT_TARGETS :=
INSTALL_BINS :=
INSTALL_SBINS :=
INSTALL_TARGETS :=
UNINSTALL_TARGETS :=
LINT_WARNINGS := -Wshadow -Wformat=2 -Wundef -Wstrict-prototypes \
		 -Wold-style-definition
DEPS_PACKAGES :=
CLEAN_FILES :=
# The script the demo VM runs (busybox sh); a fragment may point elsewhere.
DEMO_SCRIPT := scripts/vm-demo.sh
DEMO_RUNNER := scripts/vm-run
DEMO_DEPS :=

# ---- kernels ---------------------------------------------------------------
# Debian kernels the VM tests boot, by series; releases are discovered
# (scripts/find-kernel), never hard-coded.
VM_KERNELS := 6.1 6.12
DEMO_KERNEL := 6.1
$(foreach s,$(VM_KERNELS),\
	$(eval KREL_$(s) := $(shell scripts/find-kernel $(s))))
$(foreach s,$(VM_KERNELS),\
	$(eval KDIR_$(s) := $(if $(KREL_$(s)),/usr/src/linux-headers-$(KREL_$(s)))))

# KDIR: the running kernel's headers if installed, else Debian's 6.1.
KDIR ?= $(or $(patsubst %/Makefile,%,$(wildcard /lib/modules/$(shell uname -r)/build/Makefile)),$(KDIR_6.1))

# ---- kernel source bits (kselftest harness, checkpatch.pl) -----------------
# Extracted from Debian's linux-source tarball into $(BUILD)/linux-src once.
LINUX_SRC_TAR := $(lastword $(shell ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V))
LINUX_SRC     := $(BUILD)/linux-src
LINUX_SRC_STAMP := $(LINUX_SRC)/.extracted
KSFT_INC      := $(LINUX_SRC)/tools/testing/selftests
CHECKPATCH    := $(LINUX_SRC)/scripts/checkpatch.pl

# ---- fragments ---------------------------------------------------------------
-include lib/lib.mk
-include $(filter-out lib/lib.mk,$(sort $(wildcard */*.mk)))

# ---- top-level targets -----------------------------------------------------
.DEFAULT_GOAL := all
.PHONY: all module clean deps lint lint-kernel lint-user lint-inv check check-host \
	vm-check demo vm-demo help install uninstall install-programs \
	uninstall-programs dkms-install dkms-uninstall modules_install FORCE

all: module $(ALL_TARGETS)

module:
	@test -n "$(KDIR)" || { echo "no kernel headers found: run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

# One build copy per VM kernel under $(BUILD)/k<series>/ (kbuild puts objects
# next to the sources, so two kernels cannot share kmod/). The series that
# KDIR already is reuses the in-tree build.
define kernel_rules
ifeq ($$(realpath $$(KDIR)),$$(realpath $$(KDIR_$(1))))
MODULE_KO_$(1) := kmod/$(MODULE_NAME).ko
module-$(1): module
else
MODULE_KO_$(1) := $(BUILD)/k$(1)/kmod/$(MODULE_NAME).ko
module-$(1):
	@test -n "$$(KDIR_$(1))" || { echo "no $(1) kernel with headers found: run 'make deps'" >&2; exit 1; }
	scripts/mirror-tree $(BUILD)/k$(1) Kbuild kmod uapi
	$$(MAKE) -C $$(KDIR_$(1)) M=$(CURDIR)/$(BUILD)/k$(1) modules
endif

vm-check-$(1): module-$(1) $$(VM_TEST_BINS)
	scripts/vm-run -k "$$(KREL_$(1))" -m $$(MODULE_KO_$(1)) \
		$$(VM_RUN_OPTS) $$(VM_TEST_BINS)

.PHONY: module-$(1) vm-check-$(1)
endef
$(foreach s,$(VM_KERNELS),$(eval $(call kernel_rules,$(s))))

# Run the VM tests on every kernel even if one fails; one summary line.
vm-check:
	@scripts/run-steps $(MAKE) $(addprefix vm-check-,$(VM_KERNELS))

# The demo: boot DEMO_KERNEL, insmod, run DEMO_SCRIPT with DEMO_BINS on
# PATH, rmmod.
demo:
	@$(MAKE) --no-print-directory deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory vm-demo

vm-demo: module-$(DEMO_KERNEL) $(DEMO_BINS) $(DEMO_SCRIPT) $(DEMO_DEPS)
	$(DEMO_RUNNER) -k "$(KREL_$(DEMO_KERNEL))" \
		-m $(MODULE_KO_$(DEMO_KERNEL)) $(VM_RUN_OPTS) \
		--demo $(DEMO_SCRIPT) $(DEMO_BINS)

# On a machine that can load modules, as root: the fresh module and the
# selftests on the running kernel.
check-host: module $(VM_TEST_BINS)
	scripts/host-check -T $(TEST_TIMEOUT) kmod/$(MODULE_NAME).ko $(VM_TEST_BINS)

deps:
	@scripts/install-deps $(DEPS_PACKAGES)

# Steps run in order, each in its own make (so "deps" is seen by the rest);
# a failing step does not stop the later ones, but fails the whole.
check:
	@scripts/run-steps --fatal deps $(MAKE) deps all lint \
		$(CHECK_HOST_TARGETS) vm-check $(CHECK_MODEL_TARGETS)

# ---- lint --------------------------------------------------------------------
lint: lint-kernel lint-user lint-inv $(LINT_TARGETS)

# spec.md, code, tests and models agree on the INV- ids (scripts/inv-check).
lint-inv:
	scripts/inv-check

KERNEL_LINT_SOURCES = $(filter-out %.mod.c,$(wildcard kmod/*.[ch])) \
		      $(wildcard uapi/linux/*.h)

lint-kernel: $(LINUX_SRC_STAMP)
	scripts/checkpatch-all $(CHECKPATCH) $(KERNEL_LINT_SOURCES)

# Each user-space source is compiled (syntax only) with the build's CFLAGS,
# LINT_WARNINGS, LINT_CFLAGS, and what a fragment puts in
# LINT_CFLAGS_<top directory> and LINT_CFLAGS_<file> (e.g.
# LINT_CFLAGS_bench := -DHAVE_DPDK, LINT_CFLAGS_bench/c_dpdk.c := $(shell
# pkg-config --cflags libdpdk)): the flags its own build rules use.
lint-user: $(addprefix lint-user/,$(LINT_USER_SOURCES))

lint-user/%: $(LINUX_SRC_STAMP) FORCE
	@echo "  LINT    $*"
	@$(CC) $(CFLAGS) $(LINT_WARNINGS) $(LINT_CFLAGS) \
		$(LINT_CFLAGS_$(firstword $(subst /, ,$*))) $(LINT_CFLAGS_$*) \
		-fsyntax-only $*

# ---- install -------------------------------------------------------------------
# What goes where is decided by the fragments (INSTALL_TARGETS: lib/lib.mk
# installs the library, its headers and ringmpsc.pc, man/man.mk the pages);
# the programs are installed here. Uninstall removes exactly those files,
# and the directories that only ringmpsc uses.
install: $(INSTALL_TARGETS) install-programs
	$(if $(LDCONFIG),$(LDCONFIG))

uninstall: $(UNINSTALL_TARGETS) uninstall-programs
	$(if $(LDCONFIG),$(LDCONFIG))

# $(call install_files,MODE,DIR,FILES): FILES into $(DESTDIR)DIR, by name.
install_files = $(if $(3),$(INSTALL) -d "$(DESTDIR)$(2)" && \
		$(INSTALL) -m $(1) $(3) "$(DESTDIR)$(2)/")

install-programs: $(INSTALL_BINS) $(INSTALL_SBINS)
	$(call install_files,755,$(BINDIR),$(INSTALL_BINS))
	$(call install_files,755,$(SBINDIR),$(INSTALL_SBINS))

uninstall-programs:
	rm -f $(foreach f,$(INSTALL_BINS),"$(DESTDIR)$(BINDIR)/$(notdir $(f))") \
	      $(foreach f,$(INSTALL_SBINS),"$(DESTDIR)$(SBINDIR)/$(notdir $(f))")

# The module for KDIR, into its module tree (/lib/modules/<release>/updates,
# or under INSTALL_MOD_PATH); kbuild runs depmod.
modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=updates modules_install

# DKMS: the module's sources (dkms.conf, Kbuild, kmod/, uapi/) copied to
# DKMS_SOURCE_TREE/ringmpsc-<version>, added, built and installed for
# DKMS_KERNELS (default: the running kernel); dkms rebuilds the module for
# every kernel installed later. Installing again replaces what an earlier
# dkms-install of this version left. DKMS_ROOT=<dir> keeps everything
# under <dir> (sources, dkms tree, modules; no depmod): what the tests use.
DKMS_ROOT        ?=
DKMS_SOURCE_TREE ?= $(DKMS_ROOT)/usr/src
DKMS_KERNELS     ?=
DKMS_MODULE      := $(MODULE_NAME)/$(RINGMPSC_VERSION)
DKMS_MODULE_SRC   = $(DKMS_SOURCE_TREE)/$(MODULE_NAME)-$(RINGMPSC_VERSION)
DKMS_OPTS         = --sourcetree "$(DKMS_SOURCE_TREE)" \
		    $(if $(DKMS_ROOT),--dkmstree "$(DKMS_ROOT)/var/lib/dkms" \
		    --installtree "$(DKMS_ROOT)/lib/modules" --no-depmod)
DKMS_K            = $(foreach k,$(DKMS_KERNELS),-k $(k))
# Under DKMS_ROOT nothing is signed: dkms would otherwise create its
# signing key in /var/lib/dkms.
DKMS             = $(if $(DKMS_ROOT),sign_file=/nonexistent/no-signing) dkms

dkms-install: dkms-uninstall
	scripts/mirror-tree "$(DKMS_MODULE_SRC)" dkms.conf Kbuild kmod uapi
	rm -f "$(DKMS_MODULE_SRC)/.mirror-manifest"
	$(if $(DKMS_ROOT),mkdir -p "$(DKMS_ROOT)/var/lib/dkms" \
		$(foreach k,$(DKMS_KERNELS),"$(DKMS_ROOT)/lib/modules/$(k)"))
	$(DKMS) add $(DKMS_OPTS) $(DKMS_MODULE)
	$(DKMS) build $(DKMS_OPTS) $(DKMS_K) $(DKMS_MODULE)
	$(DKMS) install $(DKMS_OPTS) $(DKMS_K) $(DKMS_MODULE)

dkms-uninstall:
	@command -v dkms >/dev/null || { echo "dkms is not installed (apt-get install dkms)" >&2; exit 1; }
	if $(DKMS) status $(DKMS_OPTS) $(DKMS_MODULE) | grep -q .; then \
		$(DKMS) remove $(DKMS_OPTS) --all $(DKMS_MODULE); \
	fi
	rm -rf "$(DKMS_MODULE_SRC)"

# make check: the install as its user sees it (scripts/install-check:
# staged install, symbols, an out-of-tree program built with pkg-config
# only, the hint without the module, uninstall), and DKMS building the
# module against every VM kernel's installed headers (scripts/dkms-check;
# no network, nothing loaded).
CHECK_HOST_TARGETS += check-install check-dkms
DEPS_PACKAGES += dkms pkg-config g++
.PHONY: check-install check-dkms

check-install:
	scripts/install-check "$(MAKE)"

check-dkms:
	scripts/dkms-check "$(MAKE)" $(foreach s,$(VM_KERNELS),$(KREL_$(s)))

# The same program, built out of tree against a staged install (static,
# pkg-config only), through the module in a VM on INSTALL_VM_KERNEL.
INSTALL_VM_KERNEL := 6.1
INSTALL_STAGE     := $(BUILD)/stage
INSTALLED_QUICKSTART := $(BUILD)/installed/quickstart
CHECK_HOST_TARGETS += vm-check-install
.PHONY: vm-check-install

$(INSTALLED_QUICKSTART): examples/quickstart.c examples/program.h \
		$(LIB_PUBLIC_HDRS) $(LIBRINGMPSC_A) lib/ringmpsc.pc.in
	rm -rf $(INSTALL_STAGE) $(dir $@)
	$(MAKE) --no-print-directory -s install DESTDIR=$(CURDIR)/$(INSTALL_STAGE) PREFIX=/usr
	mkdir -p $(dir $@) && cp examples/quickstart.c examples/program.h $(dir $@)
	$(CC) -Wall -Wextra -Werror -O2 -static -o $@ $(dir $@)quickstart.c \
		$$(scripts/staged-pkg-config $(INSTALL_STAGE) --static --cflags --libs)

vm-check-install: module-$(INSTALL_VM_KERNEL) $(INSTALLED_QUICKSTART)
	scripts/vm-run -k "$(KREL_$(INSTALL_VM_KERNEL))" \
		-m $(MODULE_KO_$(INSTALL_VM_KERNEL)) $(VM_RUN_OPTS) \
		-l $(BUILD)/vm/installed-$(KREL_$(INSTALL_VM_KERNEL)).log \
		--demo scripts/vm-installed.sh $(INSTALLED_QUICKSTART)

# ---- shared build helpers ----------------------------------------------------
$(LINUX_SRC_STAMP): $(LINUX_SRC_TAR)
	@test -n "$(LINUX_SRC_TAR)" || { echo "no /usr/src/linux-source-*.tar.xz: run 'make deps'" >&2; exit 1; }
	scripts/extract-linux-src $(LINUX_SRC_TAR) $(LINUX_SRC)

clean:
	@if [ -n "$(KDIR)" ] && [ -d "$(KDIR)" ]; then \
		$(MAKE) -C $(KDIR) M=$(CURDIR) clean; \
	fi
	rm -rf $(BUILD) $(CLEAN_FILES)

help:
	@sed -n '3,/^$$/p' Makefile | sed 's/^# \{0,1\}//'
	@echo "Kernels: $(foreach s,$(VM_KERNELS),$(s)=$(or $(KREL_$(s)),none))  KDIR=$(or $(KDIR),none)"
	@echo "Targets: all module $(addprefix module-,$(VM_KERNELS)) deps lint check check-host"
	@echo "         vm-check $(addprefix vm-check-,$(VM_KERNELS)) demo vm-demo clean"
	@echo "         install uninstall modules_install dkms-install dkms-uninstall"
	@echo "         check-install check-dkms vm-check-install"
	@echo "Version: $(RINGMPSC_VERSION) (uapi/linux/ringmpsc.h)"
	@echo "Variables: KDIR VM_KERNELS VM_TIMEOUT=$(VM_TIMEOUT) TEST_TIMEOUT=$(TEST_TIMEOUT) VM_APPEND"
	@echo "Install: PREFIX=$(PREFIX) DESTDIR BINDIR SBINDIR LIBDIR INCLUDEDIR MANDIR DKMS_KERNELS DKMS_ROOT"
	@echo "Fragments: $(wildcard */*.mk)"
