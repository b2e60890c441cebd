#!/usr/bin/env bash
# Debian packages the build needs beyond Python: Chromium for chart images (kaleido) and browser tests, the PDF's
# fonts (FreeSerif, FreeSans), poppler for looking at PDF pages. Installs only what is missing. (The PDF is typeset
# by Typst, a Python package: no TeX Live.)
set -euo pipefail
packages=(fonts-freefont-otf chromium poppler-utils)
need=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -eq 0 ]; then
  echo "System packages: all present."
  exit 0
fi
echo "Installing system packages: ${need[*]} (a few minutes the first time)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: not root and no sudo; install with apt-get: ${need[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq "${need[@]}" >/dev/null
echo "System packages installed."
