# man/: the manual (mdoc), its lint, and its installation.
#   man/man3/ringmpsc_<group>.3  one page per group of calls
#   man/man7/ringmpsc.7          concepts, guarantees, limits, errors
#   man/man1/, man/man8/         a page per program
# scripts/man-pages says what a page must look like; mandoc lints them.
MAN_PAGES := $(sort $(wildcard man/man[1-8]/*.[1-8]))
# Every header whose calls need a page: <ringmpsc.h> and its companions.
MAN_HEADERS := $(sort $(wildcard lib/include/*.h lib/include/ringmpsc/*.h))

LINT_TARGETS += lint-man
INSTALL_TARGETS += install-man
UNINSTALL_TARGETS += uninstall-man

.PHONY: lint-man install-man uninstall-man

# mandoc -Tlint clean, and no public call without its page.
lint-man:
	scripts/man-pages lint $(MAN_PAGES)
	scripts/man-pages covers $(MAN_HEADERS) -- $(filter man/man3/%,$(MAN_PAGES))

# Each page into MANDIR/man<S>/, and each call a section 3 page lists a
# symbolic link to its page (man ringmpsc_commit opens ringmpsc_send(3)).
install-man:
	for page in $(MAN_PAGES); do \
		$(INSTALL) -D -m 644 $$page "$(DESTDIR)$(MANDIR)/$${page#man/}" || exit 1; \
	done
	scripts/man-pages links $(MAN_PAGES) | while read -r dir name page; do \
		ln -sf "$$page" "$(DESTDIR)$(MANDIR)/$$dir/$$name" || exit 1; \
	done

uninstall-man:
	scripts/man-pages links $(MAN_PAGES) | while read -r dir name page; do \
		rm -f "$(DESTDIR)$(MANDIR)/$$dir/$$name"; \
	done
	rm -f $(foreach p,$(MAN_PAGES),"$(DESTDIR)$(MANDIR)/$(patsubst man/%,%,$(p))")
DEPS_PACKAGES += mandoc
