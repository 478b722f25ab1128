#!/usr/bin/env bash
# Install the Debian packages cctwin's tests and benchmarks need (GStreamer's RTSP server;
# Chromium and fonts with Korean glyphs for the dashboard's browser test; PostgreSQL 15 +
# PostGIS for the store's integration tests; Mosquitto and its clients for NGSI-LD MQTT
# notifications through a real broker).
# Idempotent: apt-get runs only when `dpkg -s` reports a package missing.
set -euo pipefail

packages=(
    gir1.2-gst-rtsp-server-1.0
    gstreamer1.0-rtsp
    gstreamer1.0-plugins-base
    gstreamer1.0-plugins-good
    gstreamer1.0-plugins-bad
    gstreamer1.0-tools
    python3-gst-1.0
    gir1.2-gstreamer-1.0
    gir1.2-gst-plugins-base-1.0
    chromium
    chromium-driver
    fonts-noto-cjk
    fonts-dejavu-core
    postgresql-15-postgis-3
    mosquitto
    mosquitto-clients
)

missing=()
for package in "${packages[@]}"; do
    # `dpkg -s` succeeds for removed-but-configured packages too, so check the status line.
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
    echo "System packages already installed."
    exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "Need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
fi

echo "Installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
