#!/bin/bash
# NAT for the Kiwoom functions: forward IPv4 from the private subnets and
# masquerade it behind this instance's address (the Elastic IP Kiwoom knows).
#
# User data installs this as /usr/local/sbin/kfa-nat-setup and runs it from
# kfa-nat.service at every boot, so a reboot or an EC2 recovery applies it
# again. Idempotent. Retries what fails transiently at first boot (the route,
# the package mirror while the Elastic IP is being associated), and exits
# non-zero unless forwarding and the masquerade rule are verified in place;
# systemd then runs it again.
set -uo pipefail

ROOT="${KFA_NAT_ROOT:-}"                 # tests run the script against a scratch root
ATTEMPTS="${KFA_NAT_ATTEMPTS:-10}"
DELAY_SECONDS="${KFA_NAT_DELAY_SECONDS:-5}"
IFACE=""

log() { echo "kfa-nat: $*"; }

# retry <what> <command…>: linear backoff, gives up after $ATTEMPTS tries.
retry() {
  local what="$1" attempt=1
  shift
  until "$@"; do
    if [ "$attempt" -ge "$ATTEMPTS" ]; then
      log "$what failed after $attempt attempts"
      return 1
    fi
    log "$what failed (attempt $attempt); retrying in $((DELAY_SECONDS * attempt))s"
    sleep $((DELAY_SECONDS * attempt))
    attempt=$((attempt + 1))
  done
}

find_default_interface() {
  IFACE="$(ip -o -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')"
  [ -n "$IFACE" ]
}

enable_forwarding() {
  mkdir -p "$ROOT/etc/sysctl.d" &&
    echo "net.ipv4.ip_forward = 1" > "$ROOT/etc/sysctl.d/90-kfa-nat.conf" &&
    sysctl -q -w net.ipv4.ip_forward=1
}

install_nftables() {
  command -v nft > /dev/null 2>&1 && return 0
  dnf -y -q install nftables
}

# Declare, delete and define the table in one transaction: the same result
# whether or not an earlier run (or boot) left it there.
load_rules() {
  nft -f - <<RULES
table ip kfa_nat
delete table ip kfa_nat
table ip kfa_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "$IFACE" masquerade
  }
}
RULES
}

verify() {
  if [ "$(sysctl -n net.ipv4.ip_forward)" != "1" ]; then
    log "verification failed: IPv4 forwarding is off"
    return 1
  fi
  if ! nft list table ip kfa_nat | grep -q "oifname \"$IFACE\" masquerade"; then
    log "verification failed: no masquerade rule for $IFACE"
    return 1
  fi
}

retry "finding the default route" find_default_interface || exit 1
retry "enabling IPv4 forwarding" enable_forwarding || exit 1
retry "installing nftables" install_nftables || exit 1
retry "loading the NAT rules" load_rules || exit 1
verify || exit 1
log "forwarding IPv4 and masquerading it through $IFACE"
