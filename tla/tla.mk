# SPDX-License-Identifier: GPL-2.0
#
# tla/: model checks of the ring, wakeup and lifecycle protocol. Included
# by the top-level Makefile; works alone too:
#   make -f tla/tla.mk BUILD=build check-model
#
# check-model runs every spin check of tla/ringmpsc.pml (tla/check.sh):
# one result line each, then "model: N passed, N failed"; it fails on an
# error in a positive check and on a negative check that finds none.
# MODEL_JOBS verifiers run at once; MODEL_ONLY=regex picks checks by name.

BUILD ?= build
TLA_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
MODEL_JOBS ?= 2
MODEL_ONLY ?=

DEPS_PACKAGES += spin
CHECK_MODEL_TARGETS += check-model

.PHONY: check-model
check-model:
	@JOBS=$(MODEL_JOBS) ONLY='$(MODEL_ONLY)' $(TLA_DIR)/check.sh $(BUILD)/tla
