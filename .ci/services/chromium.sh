# Headless Chromium for the workspace's browser tests (tests/test_web_browser.py).
#
# SOURCED by .ci/run (after one `apt-get update`), so: no `exit`, no `set -e` of its own.
# Installs Debian's `chromium` only when missing, and EXPORTS AMBERLINE_CHROMIUM (the tests
# drive it with Playwright's Python package using this executable; no `playwright install`).

amberline_chromium_setup() {
  if ! command -v chromium >/dev/null 2>&1; then
    echo "chromium.sh: installing chromium"
    apt-get install -y -qq chromium >/dev/null || return 1
  fi
  export AMBERLINE_CHROMIUM="$(command -v chromium)"
}

if ! amberline_chromium_setup; then
  echo "chromium.sh: chromium setup FAILED"
  # In CI the browser tests must run, not skip: point them at nothing so they fail loudly.
  if [ "${CI:-}" = true ]; then export AMBERLINE_CHROMIUM=/nonexistent/chromium; fi
fi
unset -f amberline_chromium_setup
