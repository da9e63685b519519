# SPDX-License-Identifier: GPL-2.0
#
# User-facing entry points.  Kbuild itself reads ./Kbuild.
#
#   make                 build rrelay.ko against the cached test kernel
#   make KDIR=/path      build against another Rust-enabled kernel build
#   make run             set everything up, boot QEMU, insmod, show the files
#   make check           set everything up and run the whole test suite
#   make bench           write-path cost, mainline relay vs rrelay (Documentation/bench.md)
#   make clean

KDIR ?= $(shell scripts/kdir test)
LLVM ?= -19
KMAKE = $(MAKE) -C $(KDIR) M=$(CURDIR) LLVM=$(LLVM)

all: modules

modules:
	@test -n "$(KDIR)" || { echo "KDIR is empty: run scripts/setup or pass KDIR=" >&2; exit 1; }
	$(KMAKE) modules

clippy:
	$(KMAKE) CLIPPY=1 modules

clean:
	@if [ -n "$(KDIR)" ]; then $(KMAKE) clean; fi
	rm -rf tests/host/target build

run:
	scripts/run

check:
	scripts/check

bench:
	scripts/bench

.PHONY: all modules clippy clean run check bench
