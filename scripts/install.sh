#!/bin/sh
# Installs the mirrord executable for this machine:  curl -fsSL <release-url>/install.sh | sh
#   MIRRORD_RELEASE_URL  the release directory (mirrord-<os>-<arch> files + SHA256SUMS): a mirror, an
#                        internal file server, or file:///path for an air-gapped copy
#   MIRRORD_VERSION      the release to install when MIRRORD_RELEASE_URL is unset (default: latest)
#   MIRRORD_INSTALL_DIR  where to put `mirrord` (default: /usr/local/bin when writable, else ~/.local/bin)
# The download is checked against SHA256SUMS and refused on mismatch. Never calls sudo: when no bin
# directory is writable it stops and says how to proceed.
set -eu

DEFAULT_RELEASES=https://github.com/metalbear-co/mirrord-ts/releases

say() { printf 'mirrord install: %s\n' "$*"; }
fail() {
  printf 'mirrord install: error: %s\n' "$*" >&2
  exit 1
}

release_url() {
  if [ -n "${MIRRORD_RELEASE_URL:-}" ]; then
    printf '%s' "${MIRRORD_RELEASE_URL%/}"
  elif [ -n "${MIRRORD_VERSION:-}" ]; then
    printf '%s/download/v%s' "$DEFAULT_RELEASES" "${MIRRORD_VERSION#v}"
  else
    printf '%s/latest/download' "$DEFAULT_RELEASES"
  fi
}

# <os>-<arch>[-musl], the suffix of the release file this machine runs.
detect_platform() {
  kernel=$(uname -s)
  machine=$(uname -m)
  case "$kernel" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) fail "unsupported operating system '$kernel' (mirrord runs on Linux and macOS)" ;;
  esac
  case "$machine" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "unsupported CPU architecture '$machine' (mirrord is built for x86_64 and arm64)" ;;
  esac
  # A shell under Rosetta reports x86_64 on Apple silicon; the native build is the right one there.
  if [ "$os" = darwin ] && [ "$arch" = x64 ] && [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || true)" = 1 ]; then
    arch=arm64
    say "Rosetta detected: installing the native Apple silicon (arm64) build" >&2
  fi
  libc=""
  if [ "$os" = linux ] && is_musl; then libc=-musl; fi
  printf '%s-%s%s' "$os" "$arch" "$libc"
}

is_musl() {
  if command -v ldd >/dev/null 2>&1 && ldd --version 2>&1 | grep -qi musl; then return 0; fi
  for loader in /lib/ld-musl-*; do [ -e "$loader" ] && return 0; done
  return 1
}

# download URL DEST
download() {
  case "$1" in
    file://*) cp "${1#file://}" "$2" 2>/dev/null || return 1 ;;
    *)
      if command -v curl >/dev/null 2>&1; then
        curl -fsSL --retry 2 -o "$2" "$1"
      elif command -v wget >/dev/null 2>&1; then
        wget -q -O "$2" "$1"
      else
        fail "neither curl nor wget is installed"
      fi
      ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    fail "neither sha256sum nor shasum is installed: cannot verify the download"
  fi
}

# The first writable bin directory, created if needed; empty when there is none.
install_dir() {
  if [ -n "${MIRRORD_INSTALL_DIR:-}" ]; then
    mkdir -p "$MIRRORD_INSTALL_DIR" 2>/dev/null || true
    [ -d "$MIRRORD_INSTALL_DIR" ] && [ -w "$MIRRORD_INSTALL_DIR" ] && printf '%s' "$MIRRORD_INSTALL_DIR"
    return 0
  fi
  if [ -d /usr/local/bin ] && [ -w /usr/local/bin ]; then
    printf '%s' /usr/local/bin
    return 0
  fi
  if [ -n "${HOME:-}" ]; then
    mkdir -p "$HOME/.local/bin" 2>/dev/null || true
    if [ -d "$HOME/.local/bin" ] && [ -w "$HOME/.local/bin" ]; then printf '%s' "$HOME/.local/bin"; fi
  fi
  return 0
}

main() {
  base=$(release_url)
  platform=$(detect_platform)
  asset="mirrord-$platform"

  dir=$(install_dir)
  if [ -z "$dir" ]; then
    if [ -n "${MIRRORD_INSTALL_DIR:-}" ]; then
      fail "MIRRORD_INSTALL_DIR=$MIRRORD_INSTALL_DIR is not a writable directory"
    fi
    fail "no writable bin directory: /usr/local/bin needs root and ${HOME:-\$HOME}/.local/bin could not be created; rerun as root (curl … | sudo sh) or set MIRRORD_INSTALL_DIR to a directory you own"
  fi

  work=$(mktemp -d "${TMPDIR:-/tmp}/mirrord-install.XXXXXX")
  trap 'rm -rf "$work"' EXIT INT TERM

  download "$base/SHA256SUMS" "$work/SHA256SUMS" || fail "could not download $base/SHA256SUMS"
  expected=$(awk -v name="$asset" '$2 == name || $2 == "*" name { print $1 }' "$work/SHA256SUMS")
  if [ -z "$expected" ]; then
    available=$(awk '{ sub(/^\*/, "", $2); sub(/^mirrord-/, "", $2); printf "%s ", $2 }' "$work/SHA256SUMS")
    fail "the release at $base has no build for this machine ($platform); it has: ${available:-nothing}"
  fi

  say "downloading $asset from $base"
  download "$base/$asset" "$work/mirrord" || fail "could not download $base/$asset"
  actual=$(sha256_of "$work/mirrord")
  if [ "$actual" != "$expected" ]; then
    fail "checksum mismatch for $asset: SHA256SUMS says $expected, the download is $actual; refusing to install it"
  fi

  chmod 755 "$work/mirrord"
  cp "$work/mirrord" "$dir/.mirrord.$$"
  mv -f "$dir/.mirrord.$$" "$dir/mirrord"
  version=$("$dir/mirrord" --version 2>/dev/null) || fail "installed $dir/mirrord but it does not run on this machine"
  say "installed $version at $dir/mirrord"
  case ":${PATH:-}:" in
    *":$dir:"*) ;;
    *) say "$dir is not on your PATH; add it:  export PATH=\"$dir:\$PATH\"" ;;
  esac
  say "next: mirrord exec --target pod/<name> -- <your command>"
}

main "$@"
