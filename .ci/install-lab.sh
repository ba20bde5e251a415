#!/usr/bin/env bash
# Prepare the Asterisk lab for the integration tests (idempotent, needs root):
#   1. mmdebstrap from the host's Debian mirror (apt-get update only when it is missing)
#   2. the lab rootfs (Debian sid + asterisk, ~20-35 s, ~95 MiB download, ~340 MiB disk)
#      in $AIIVR_LAB_ROOT (default /var/lib/aiivr/lab), unless it is already built,
#      so the test run does not pay for it (each test session copies it in ~1 s).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "install-lab: needs root (mmdebstrap, chroot)" >&2; exit 1; }

if ! command -v mmdebstrap >/dev/null; then
  echo "install-lab: installing mmdebstrap"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi

# The lab manager is plain standard-library Python: the system python3 runs it without the venv.
PYTHONPATH="$HERE" python3 - <<'PY'
import sys
from pbx_bridge import lab
from pbx_bridge.lab_build import is_built

root = lab.default_root()
if is_built(root):
    print(f"install-lab: lab rootfs already built in {root}")
    sys.exit(0)
try:
    seconds = lab.build(root)
except lab.LabError as error:
    sys.exit(f"install-lab: {error}")
print(f"install-lab: built the lab rootfs in {root} in {seconds:.1f} s")
PY
