#!/usr/bin/env bash
# Build the Linux one-folder bundle and its tarball: dist/deepgram-tray/ and
# dist/deepgram-balance-tray-<version>-linux-<arch>.tar.gz.
#
# It builds in its own virtualenv (build/venv) on the system Python, which sees the distribution's
# PyGObject, so the tray's GTK backends go into the bundle. Needs, on Debian/Ubuntu: python3-venv
# python3-gi gir1.2-gtk-3.0 gir1.2-ayatanaappindicator3-0.1 (scripts/test installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

ensure_venv build/venv . "pyinstaller>=6.3"
python=build/venv/bin/python
"$python" -m PyInstaller --noconfirm --log-level ERROR \
  --distpath dist --workpath build/pyinstaller packaging/deepgram-tray.spec

version=$("$python" -c 'import trayapp; print(trayapp.__version__)')
archive="dist/deepgram-balance-tray-${version}-linux-$(uname -m).tar.gz"
tar -C dist -czf "$archive" deepgram-tray
echo "Built dist/deepgram-tray/ and $archive"
