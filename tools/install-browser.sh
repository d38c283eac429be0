#!/usr/bin/env bash
# Installs the browser the end-to-end tests drive: Debian's chromium and chromium-driver.
# Browsers cannot be downloaded by Selenium/Playwright here, so the tests use these system
# packages only. Does nothing when both are already present.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

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
