#!/usr/bin/env bash
# Fetch the PETS 2009 clip that Debian's opencv-doc package ships (samples/data/vtest.avi)
# into var/media/, without root: `apt-get download` + `dpkg -x`. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
target=var/media/vtest.avi
[ -s "$target" ] && exit 0
mkdir -p var/media
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download opencv-doc >/dev/null 2>&1) || {
  # The package lists may be empty on a fresh machine; refresh them once and retry.
  if [ "$(id -u)" = 0 ]; then apt-get update -qq; else sudo apt-get update -qq; fi
  (cd "$work" && apt-get download opencv-doc >/dev/null)
}
dpkg -x "$work"/opencv-doc_*.deb "$work/x"
found=$(find "$work/x" -name vtest.avi | head -n 1)
[ -n "$found" ] || { echo "vtest.avi not found in opencv-doc" >&2; exit 1; }
cp "$found" "$target"
echo "fetched $target ($(du -h "$target" | cut -f1))"
