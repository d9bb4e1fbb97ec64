#!/usr/bin/env bash
# Install the Debian packages the system tests need, when we can (root + apt-get).
# Without them the tests that need them skip locally; in CI (CI=true) they fail instead.
set -euo pipefail
needed=()
command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1 || needed+=(prometheus)
command -v bwrap >/dev/null 2>&1 || needed+=(bubblewrap)
command -v docker-compose >/dev/null 2>&1 || needed+=(docker-compose)
[ ${#needed[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${needed[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${needed[@]}" >/dev/null
else
  echo "missing system packages (${needed[*]}); install them to run every system test" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
