#!/usr/bin/env bash
# Debian packages the project needs beyond Python, installed only when missing:
#   gettext         msgfmt compiles the zh-Hant/English translation catalogues
#   chromium        the browser the Playwright tests drive
#   fonts-noto-cjk  so that Chromium renders Chinese (browser tests, print views), and the
#                   meeting pack's PDF embeds it (Noto Sans CJK TC, found through fontconfig)
#   libpango-1.0-0  WeasyPrint lays out the meeting pack's PDF with pango (and pangoft2)
#   npm             installs the front-end assets (Chart.js) from the npm registry
set -euo pipefail
need=()
have() { dpkg -s "$1" >/dev/null 2>&1; }
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
[ -x /usr/bin/chromium ] || need+=(chromium)
have fonts-noto-cjk || need+=(fonts-noto-cjk)
have libpango-1.0-0 || need+=(libpango-1.0-0)
have libpangoft2-1.0-0 || need+=(libpangoft2-1.0-0)
command -v npm >/dev/null 2>&1 || need+=(npm)
[ ${#need[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Please install these Debian packages first: ${need[*]}" >&2
    exit 1
  fi
fi
echo "Installing Debian packages: ${need[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
