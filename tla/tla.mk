# SPDX-License-Identifier: GPL-2.0
#
# tla/: model checks of the ring, wakeup and lifecycle protocol. Included
# by the top-level Makefile; works alone too:
#   make -f tla/tla.mk BUILD=build check-model
#
# check-model runs tla/check.sh: spin on tla/ringmpsc.pml and TLC on
# tla/RingMPSC.tla, every configuration with both, and compares the states
# the two models reach; one result line each, then "model: N passed, N
# failed". check-model-full adds the checks marked full (the slow TLC
# liveness runs). TLC is tla2tools.jar from TLC_JAR, else
# ../shared/tools/tla2tools.jar next to the repository; without it
# check-model runs spin alone and reports the TLC checks skipped
# (TLC_REQUIRED=1 makes that a failure; check-model-full always does). MODEL_JOBS checks run at once; MODEL_ONLY=regex picks
# configurations by name.

BUILD ?= build
TLA_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
MODEL_JOBS ?= 2
MODEL_ONLY ?=

DEPS_PACKAGES += spin default-jre-headless
CHECK_MODEL_TARGETS += check-model

.PHONY: check-model check-model-full
check-model:
	@JOBS=$(MODEL_JOBS) ONLY='$(MODEL_ONLY)' $(TLA_DIR)/check.sh $(BUILD)/tla

check-model-full:
	@FULL=1 JOBS=$(MODEL_JOBS) ONLY='$(MODEL_ONLY)' $(TLA_DIR)/check.sh $(BUILD)/tla
