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

# Debian's own kernel (scripts/debian-kdir): trixie-backports' 7.3.4,
# built with gcc-14 and trixie's rustc 1.85.1, whose crates only that
# rustc can read.  Its toolchain runs in a trixie chroot (glibc 2.41).
DEBIAN_KREL=7.3.4+deb13-amd64
DEBIAN_KPKG_VERSION=7.3.4-1~bpo13+1
DEBIAN_RUST_VERSION=1.85.1+dfsg1-1+deb13u1

# Our own toolchain (clang, the rustup rustc, the pinned bindgen), unless
# a script runs with Debian's (RRELAY_TOOLCHAIN=debian, set before
# sourcing this file): then nothing of ours may shadow the system's.
if [ "${RRELAY_TOOLCHAIN:-}" != debian ]; then
	export LLVM=$LLVM_SUFFIX
	export LIBCLANG_PATH=/usr/lib/llvm${LLVM_SUFFIX}/lib
	export PATH="$RRELAY_CACHE/tools/bin:$HOME/.cargo/bin:$PATH"
	export ARCH=x86_64
fi

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

# Sets APT_OPTS: apt-get/apt-cache options that read Debian's registry
# through a private source list and state under DIR (SUITE's main), so
# the machine's own apt sources and lists are never touched.
private_apt_opts() {
	local dir=$1 suite=$2
	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $KERNEL_MIRROR $suite main" \
		>"$dir/sources.list"
	APT_OPTS=(-o "Dir::Etc::SourceList=$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		  -o "Dir::State::Lists=$dir/lists" -o "Dir::Cache=$dir/cache"
		  -o APT::Sandbox::User=root)
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

# The packages of the trixie chroot of scripts/debian-kdir: Debian's
# toolchain at the kernel's versions, the kernel's headers packages, and
# what the guest build and DKMS use there.
debian_packages() {
	local r=$DEBIAN_RUST_VERSION k=$DEBIAN_KPKG_VERSION
	echo "rustc=$r rust-src=$r libstd-rust-dev=$r libstd-rust-1.85=$r bindgen libclang-19-dev"
	echo "gcc-14 gcc libc6-dev dwarves openssl make flex bison bc libelf-dev libssl-dev"
	echo "python3 xz-utils kmod cpio dkms"
	echo "linux-headers-$DEBIAN_KREL=$k linux-headers-${DEBIAN_KREL%-amd64}-common=$k"
	echo "linux-kbuild-${DEBIAN_KREL%-amd64}=$k"
}

# The chroot, keyed by its package list: another list, another chroot.
debian_chroot() {
	echo "$RRELAY_CACHE/debian/trixie-$(debian_packages | sha256sum | cut -c1-12)"
}

# The prepared tree of Debian's kernel (a path inside and outside the
# chroot alike: scripts/in-debian mounts the cache at the same place).
debian_kdir() {
	echo "$RRELAY_CACHE/debian/kdir-$DEBIAN_KREL"
}

# Debian's kernel image, unpacked from linux-binary-unsigned-<release>.
debian_boot_dir() {
	echo "$RRELAY_CACHE/debian/boot-$DEBIAN_KPKG_VERSION"
}
debian_vmlinuz() {
	echo "$(debian_boot_dir)/root/usr/lib/modules/$DEBIAN_KREL/vmlinuz.unsigned"
}

# A digest of the files a release of rrelay holds (what DKMS builds), to
# tell whether a module built from them is current.
rrelay_sources_sha() {
	git -C "$RRELAY_ROOT" ls-files -co --exclude-standard -- \
		Kbuild Makefile dkms.conf include src scripts | sort |
		(cd "$RRELAY_ROOT" && xargs sha256sum) | sha256sum | cut -c1-16
}

# The Python venv of the project's tools (Sphinx for make htmldocs,
# matplotlib for make bench's plot), kept in the cache.
tools_venv() {
	echo "$RRELAY_CACHE/venv"
}
