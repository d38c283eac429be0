#!/usr/bin/env bash
# Installs the browser the end-to-end tests drive: Debian's chromium and chromium-driver.
# Browsers cannot be downloaded by Selenium/Playwright here, so the tests use these system
# packages only. Does nothing when both are already present.
set -euo pipefail

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}

# The about page speaks Korean too: without a Korean font Chromium draws empty boxes in the
# screenshots. Debian's fonts-nanum (10 MB) when this machine has none and we may install.
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 && command -v fc-list >/dev/null 2>&1 \
    && [ -z "$(fc-list :lang=ko)" ]; then
  echo "install-browser: installing a Korean font (fonts-nanum) with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get install -y -qq --no-install-recommends fonts-nanum \
    || { apt-get update -qq && apt-get install -y -qq --no-install-recommends fonts-nanum; }; } >/dev/null \
    || echo "install-browser: fonts-nanum could not be installed; Korean text will show as boxes" >&2
fi

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
