#!/usr/bin/env bash
# Debian packages the project needs beyond Python, installed only when missing:
#   gettext         msgfmt compiles the zh-Hant/English translation catalogues
#   chromium        the browser the Playwright tests drive
#   fonts-noto-cjk  so that Chromium renders Chinese (browser tests, print views), and the
#                   meeting pack's PDF embeds it (Noto Sans CJK TC, found through fontconfig)
#   libpango-1.0-0  WeasyPrint lays out the meeting pack's PDF with pango (and pangoft2)
#   npm             installs the front-end assets (Chart.js) from the npm registry
#   libldap2-dev, libsasl2-dev  headers python-ldap builds against (optional LDAP sign-in)
#   slapd, ldap-utils  a real OpenLDAP server for the LDAP sign-in tests (tests/test_ldap_signin.py)
set -euo pipefail
need=()
have() { dpkg -s "$1" >/dev/null 2>&1; }
command -v msgfmt >/dev/null 2>&1 || need+=(gettext)
[ -x /usr/bin/chromium ] || need+=(chromium)
have fonts-noto-cjk || need+=(fonts-noto-cjk)
have libpango-1.0-0 || need+=(libpango-1.0-0)
have libpangoft2-1.0-0 || need+=(libpangoft2-1.0-0)
command -v npm >/dev/null 2>&1 || need+=(npm)
have libldap2-dev || need+=(libldap2-dev)
have libsasl2-dev || need+=(libsasl2-dev)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapadd >/dev/null 2>&1 || need+=(ldap-utils)
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
