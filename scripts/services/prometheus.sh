#!/usr/bin/env bash
# Prometheus's binaries (`prometheus`, `promtool`) for the tests of the alert rules and the
# dashboard: `promtool check rules` / `promtool test rules`, and a throwaway Prometheus that
# scrapes a test engine (apps/engine/test/integration/ops-rules.test.ts).
#
#   scripts/services/prometheus.sh up       install Debian's `prometheus` package when promtool
#                                           is missing (nothing to do otherwise)
#   scripts/services/prometheus.sh status   print the versions (exit 0), or exit 3 when missing
#   scripts/services/prometheus.sh down     nothing: no daemon is ever started
#
# The package is only a source of binaries: the tests start their own Prometheus on a free port
# with a configuration and data directory of their own. Installing it must not leave the
# package's daemon running on :9090 (no systemd here; the package's init script would start it),
# so while it installs, a policy-rc.d forbids starting services, as Debian's container images do,
# unless one is already in place. Needs root (or sudo) when the package is missing.
set -Eeuo pipefail

say() { echo "[services] prometheus: $*"; }
die() { echo "[services] prometheus: ERROR: $*" >&2; exit 1; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
  else die "need root (or sudo) to run: $*"
  fi
}

installed() {
  command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1
}

install_package() {
  local policy=/usr/sbin/policy-rc.d ours=0
  if [[ ! -e $policy ]]; then
    as_root sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy"
    ours=1
  fi
  # Other suites may be installing packages at the same time: wait for dpkg's lock.
  local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
  local status=0
  if ! apt-cache show prometheus >/dev/null 2>&1; then
    as_root "${apt[@]}" update -qq || status=$?
  fi
  if ((status == 0)); then
    as_root "${apt[@]}" install -y -qq --no-install-recommends prometheus >/dev/null || status=$?
  fi
  if ((ours)); then as_root rm -f "$policy"; fi
  ((status == 0)) || die "apt-get failed (exit $status): install it with 'apt-get install prometheus'"
}

case "${1:-up}" in
  up)
    if installed; then
      say "present ($(promtool --version 2>&1 | head -1))"
    else
      say "installing Debian's prometheus package (promtool, prometheus)"
      install_package
      installed || die "promtool still missing after installing the package"
      say "installed ($(promtool --version 2>&1 | head -1))"
    fi
    ;;
  status)
    if installed; then
      promtool --version 2>&1 | head -1
    else
      echo "promtool: not installed"
      exit 3
    fi
    ;;
  down) ;;
  *) die "usage: $0 up|status|down" ;;
esac
