#!/usr/bin/env bash
# Build the macOS app and its disk image:
#   dist/Deepgram Balance.app                            a menu-bar agent (no Dock icon)
#   dist/deepgram-balance-tray-<v>-macos-<arch>.dmg      the app beside an Applications link
#
# PyInstaller signs the app ad hoc, enough to run on the machine that built it. To distribute it,
# set MACOS_SIGNING_IDENTITY ("Developer ID Application: …") to sign with the hardened runtime,
# and MACOS_NOTARY_PROFILE (a `xcrun notarytool store-credentials` profile) to notarize and
# staple the disk image, so Gatekeeper opens it without a warning.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x build/venv/bin/python ] || python3 -m venv build/venv
python=build/venv/bin/python
"$python" -m pip install --quiet --disable-pip-version-check . "pyinstaller>=6.3"
"$python" -m PyInstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/deepgram-tray.spec

app="dist/Deepgram Balance.app"
version=$("$python" -c 'import trayapp; print(trayapp.__version__)')
"$app/Contents/MacOS/deepgram-tray" --version

if [ -n "${MACOS_SIGNING_IDENTITY:-}" ]; then
  codesign --force --deep --options runtime --timestamp --sign "$MACOS_SIGNING_IDENTITY" "$app"
  codesign --verify --strict --verbose=2 "$app"
fi

staging=build/dmg
rm -rf "$staging"
mkdir -p "$staging"
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
dmg="dist/deepgram-balance-tray-${version}-macos-$(uname -m).dmg"
rm -f "$dmg"
hdiutil create -volname "Deepgram Balance" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"

if [ -n "${MACOS_SIGNING_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGNING_IDENTITY" "$dmg"
fi
if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
  xcrun notarytool submit "$dmg" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
  xcrun stapler staple "$dmg"
fi
echo "Built $app and $dmg"
