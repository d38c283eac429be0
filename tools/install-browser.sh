#!/usr/bin/env bash
# Installs the browser the end-to-end tests drive: Debian's chromium and chromium-driver.
# Browsers cannot be downloaded by Selenium/Playwright here, so the tests use these system
# packages only. Does nothing when both are already present.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

# apt_install PACKAGE WHY: Debian's PACKAGE, when we are root with apt-get (an update first
# only when the package lists are stale); a line saying what will not work otherwise.
apt_install() {
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "install-browser: $1 is missing and cannot be installed here (needs root and apt-get): $2" >&2
    return 0
  fi
  echo "install-browser: installing $1 with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq --no-install-recommends "$1" \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$1"; }; } >/dev/null \
    || echo "install-browser: $1 could not be installed: $2" >&2
}

# The pages' language module and dictionaries are checked in Node (tests/i18n); `make lint`
# type-checks and lints the pages with npm's packages (Debian ships npm apart from nodejs).
command -v node >/dev/null 2>&1 || apt_install nodejs "the language checks will fail"
command -v npm >/dev/null 2>&1 || apt_install npm "make lint cannot check the pages"
# `install-browser.sh node`: Node.js and npm only (make lint, when npm is missing).
if [ "${1:-}" = node ]; then
  exit 0
fi

# The pages speak Korean: without a Korean font Chromium draws empty boxes (10 MB).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=ko)" ]; then
  apt_install fonts-nanum "Korean text will show as boxes"
fi
# The take-home test reads the kiosk's QR code back from a screenshot with zbarimg (1 MB).
command -v zbarimg >/dev/null 2>&1 || apt_install zbar-tools "the take-home test will fail"

if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "install-browser: installing chromium and chromium-driver with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-dejavu-core >/dev/null
  if [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; then
    exit 0
  fi
  echo "install-browser: apt-get finished but $CHROMIUM or $CHROMEDRIVER is still missing" >&2
  exit 1
fi

cat >&2 <<MSG
install-browser: the end-to-end tests need Debian's chromium and chromium-driver
($CHROMIUM and $CHROMEDRIVER), and this user cannot install them. As root run:
    apt-get update && apt-get install -y chromium chromium-driver
or skip the browser tests with: pytest -m "not slow"
MSG
exit 1
