#!/usr/bin/env bash
# System packages that some tests drive for real: Debian's chromium and chromium-driver (the service's web page in a
# headless browser) and shellcheck (the installer scripts). `make test` calls this; each test skips with a reason
# when its tool is missing, so without root or apt this only says what it could not install.
set -u
want=()
command -v chromium >/dev/null 2>&1 || want+=(chromium)
command -v chromedriver >/dev/null 2>&1 || want+=(chromium-driver)
command -v shellcheck >/dev/null 2>&1 || want+=(shellcheck)
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "note: ${want[*]} not installed (needs root and apt); the tests that use them will be skipped" >&2
    exit 0
fi
echo "installing ${want[*]} for the tests that drive them" >&2
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${want[@]}"; } >/dev/null; then
    echo "note: could not install ${want[*]}; the tests that use them will be skipped" >&2
fi
exit 0
