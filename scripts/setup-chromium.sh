# Sourced by scripts/test.sh: Debian's chromium for the console's browser tests (playwright-core drives
# it; no browser is ever downloaded), installed from Debian's packages when missing, as setup.sh
# installs bubblewrap.
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  step "Installing chromium from Debian's packages (the console's browser tests)"
  if ! apt-get install -y -qq chromium >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  fi
fi
