#!/usr/bin/env bash
# Debian packages the build needs beyond Python: Chromium for chart images (kaleido) and browser tests, the PDF's
# fonts (FreeSerif, FreeSans), poppler for looking at PDF pages, and LibreOffice's spreadsheet without its windows
# (the tests open the edition's spreadsheet in it; its recommended packages are not needed). Installs only what is
# missing. (The PDF is typeset by Typst, a Python package: no TeX Live.)
set -euo pipefail
packages=(fonts-freefont-otf chromium poppler-utils)
lean=(libreoffice-calc-nogui)  # installed without recommended packages: about 60 s, 88 MB of archives
need=()
lean_need=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
for p in "${lean[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || lean_need+=("$p")
done
if [ ${#need[@]} -eq 0 ] && [ ${#lean_need[@]} -eq 0 ]; then
  echo "System packages: all present."
  exit 0
fi
echo "Installing system packages: ${need[*]} ${lean_need[*]} (a few minutes the first time)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: not root and no sudo; install with apt-get: ${need[*]} ${lean_need[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ${#lean_need[@]} -gt 0 ]; then
  $SUDO apt-get install -y -qq --no-install-recommends "${lean_need[@]}" >/dev/null
fi
echo "System packages installed."
