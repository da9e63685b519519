# SPDX-License-Identifier: GPL-2.0
#
# User-facing entry points.  Kbuild itself reads ./Kbuild.
#
#   make                 build rrelay.ko against the cached test kernel
#   make KDIR=/path      build against another Rust-enabled kernel build
#   make install         modules_install (INSTALL_MOD_PATH=...), plus the
#                        client headers, the Rust API and Module.symvers
#                        (RRELAY_DEV_DIR)
#   make rustdoc         the module's Rust documentation, in build/rustdoc
#   make htmldocs        Documentation/ as HTML (Sphinx), in build/htmldocs
#   make run             set everything up, boot QEMU, insmod, show the files
#   make check           set everything up and run the whole test suite
#   make bench           write-path cost, mainline relay vs rrelay (Documentation/bench.md)
#   make debian-kdir     a checked build tree for Debian 13's own kernel, in a
#                        cached trixie chroot (scripts/debian-kdir; on Debian
#                        itself: sudo scripts/debian-kdir --system)
#   make clean

RRELAY_VERSION := 0.1.0

KDIR ?= $(shell scripts/kdir test)

# The kernel's compiler.  A clang-built kernel needs the same clang:
# clang-NN when installed (LLVM=-NN), else plain clang (LLVM=1).  A
# gcc-built kernel needs no LLVM=.  LLVM= on the command line wins.
ifeq ($(origin LLVM),undefined)
ifneq ($(shell grep -sx CONFIG_CC_IS_CLANG=y $(KDIR)/.config),)
clang_major := $(shell sed -n 's/^CONFIG_CLANG_VERSION=\([0-9]*\)[0-9]\{4\}$$/\1/p' $(KDIR)/.config)
LLVM := $(if $(shell command -v clang-$(clang_major)),-$(clang_major),1)
endif
endif
# LLVM= picks the compiler and linker.  dkms adds CC=clang LD=ld.lld for a
# clang-built kernel, which names no version; keep them out of Kbuild.
ifneq ($(LLVM),)
MAKEOVERRIDES := $(filter-out CC=% LD=%,$(MAKEOVERRIDES))
endif

KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) $(if $(LLVM),LLVM=$(LLVM))

# Where "make install" puts what C clients build against: the headers and
# this build's Module.symvers, laid out as in this tree, so that a client
# uses either with the same two lines (see examples/).
KRELEASE = $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null)
RRELAY_DEV_DIR ?= $(INSTALL_MOD_PATH)/usr/src/rrelay/$(KRELEASE)
# The safe Rust API for client modules, which they compile in (beside the
# C header, found the same way).
RRELAY_RUST_API = $(addprefix include/rrelay/,relay.rs relay_abi.rs relay_layout.c \
	layout.kbuild rust-client.kbuild)

all: modules

kdir-check:
	@scripts/check-kdir "$(KDIR)"

modules: kdir-check
	+$(KMAKE) modules

clippy: kdir-check
	+$(KMAKE) CLIPPY=1 modules

install: modules
	+$(KMAKE) modules_install
	install -D -m 0644 Module.symvers $(RRELAY_DEV_DIR)/Module.symvers
	install -D -m 0644 include/rrelay/relay.h $(RRELAY_DEV_DIR)/include/rrelay/relay.h
	install -D -m 0644 include/uapi/linux/rrelay.h \
		$(RRELAY_DEV_DIR)/include/uapi/linux/rrelay.h
	install -m 0644 $(RRELAY_RUST_API) $(RRELAY_DEV_DIR)/include/rrelay/

rustdoc: kdir-check
	scripts/rustdoc "$(KDIR)"

htmldocs:
	scripts/htmldocs

clean:
	@if [ -n "$(KDIR)" ] && [ -f "$(KDIR)/Makefile" ]; then $(KMAKE) clean; fi
	rm -rf tests/host/target build

run:
	scripts/run

check:
	scripts/check

bench:
	scripts/bench

debian-kdir:
	scripts/debian-kdir

.PHONY: all kdir-check modules clippy install rustdoc htmldocs clean run check bench debian-kdir
