#!/usr/bin/env bash
# Debian packages: EGL + Mesa for headless pyrender and libGL/glib for OpenCV (run time), chromium for the
# browser front-end's end-to-end test, GStreamer's RTSP server (run by the system python3 with PyGObject)
# for the live-stream tests' RTSP camera.
# Installed only when missing and only when running as root; otherwise we say what to install.
set -euo pipefail
pkgs=(libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 libglib2.0-0 chromium
      python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good)
command -v dpkg-query >/dev/null 2>&1 || { echo "system_deps: not a Debian system; install EGL/Mesa yourself" >&2; exit 0; }
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ]; then
  echo "system_deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "system_deps: missing Debian packages: ${missing[*]}" >&2
  echo "system_deps: run 'sudo apt-get install ${missing[*]}' for 3D rendering (arsdk runs without it)" >&2
fi
