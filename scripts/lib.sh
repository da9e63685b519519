# SPDX-License-Identifier: GPL-2.0
# Shared settings for rrelay's scripts: pins, cache layout, toolchain.
# Sourced, never run.  Every path a script needs comes from here so that
# the setup, the module build and the test harness agree on one cache.

RRELAY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RRELAY_CACHE=${RRELAY_CACHE:-$HOME/.cache/rrelay}

# The kernel we build against.  The pin is tried first; if Debian's index
# no longer has it, the newest 7.3.x is taken instead.
KERNEL_PKG=linux-source-7.3
KERNEL_PIN=7.3.4-1~bpo13+1
KERNEL_SUITE="trixie-backports"
KERNEL_MIRROR="http://deb.debian.org/debian"

BINDGEN_VERSION=0.73.2
SPHINX_VERSION=8.1.3
MATPLOTLIB_VERSION=3.9.2
LLVM_SUFFIX=-19

export LLVM=$LLVM_SUFFIX
export LIBCLANG_PATH=/usr/lib/llvm${LLVM_SUFFIX}/lib
export PATH="$RRELAY_CACHE/tools/bin:$HOME/.cargo/bin:$PATH"
export ARCH=x86_64

# Arguments every kernel-tree make gets.
KMAKE_ARGS=(ARCH=x86_64 "LLVM=$LLVM_SUFFIX")

# The kernel architecture of a flavour: arm64 is cross-built (clang needs
# no separate cross compiler), the others are the host's x86_64.
kernel_arch() {
	case $1 in
	arm64) echo arm64 ;;
	*) echo x86_64 ;;
	esac
}

# Point ARCH and KMAKE_ARGS at a flavour's architecture, for scripts that
# build against one flavour's kernel.
use_flavour() {
	ARCH=$(kernel_arch "$1")
	export ARCH
	KMAKE_ARGS=("ARCH=$ARCH" "LLVM=$LLVM_SUFFIX")
}

log_t0=${log_t0:-$(date +%s)}
log() {
	printf '[%4ds] %s\n' $(($(date +%s) - log_t0)) "$*" >&2
}

die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# The source tree of the kernel version in use: the pin when present,
# otherwise the newest 7.3 tree already in the cache.
kernel_src() {
	local d
	d="$RRELAY_CACHE/src/linux-$KERNEL_PIN"
	if [ -f "$d/Makefile" ]; then
		echo "$d"
		return
	fi
	d=$(ls -d "$RRELAY_CACHE"/src/linux-7.3* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$d" ] && [ -f "$d/Makefile" ] && echo "$d"
}

# Config fragments of one flavour (test, bench or arm64), in merge order.
# arm64 is the test kernel on another architecture: its fragment comes
# after test.config's debugging options.
kernel_fragments() {
	echo "$RRELAY_ROOT/scripts/kconfig/common.config"
	[ "$1" = arm64 ] && echo "$RRELAY_ROOT/scripts/kconfig/test.config"
	echo "$RRELAY_ROOT/scripts/kconfig/$1.config"
}

# Build directory of a flavour, keyed by kernel version, the fragments'
# contents and the compilers, so a change to any of them gets a new build.
kernel_build_dir() {
	local flavour=$1 src ver key
	src=$(kernel_src) || return 1
	ver=${src##*/linux-}
	key=$( {
		echo "$ver"
		kernel_fragments "$flavour" | xargs cat
		rustc --version 2>/dev/null
		clang$LLVM_SUFFIX --version 2>/dev/null | head -n 1
	} | sha256sum | cut -c1-12)
	echo "$RRELAY_CACHE/kernels/$ver-$flavour-$key"
}

# The Python venv of the project's tools (Sphinx for make htmldocs,
# matplotlib for make bench's plot), kept in the cache.
tools_venv() {
	echo "$RRELAY_CACHE/venv"
}
