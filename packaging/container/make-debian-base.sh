#!/usr/bin/env bash
# Make a base image for build.sh from Debian's packages alone, for hosts that can reach a Debian
# mirror but no container registry:
#   packaging/container/make-debian-base.sh [TAG]    (default localhost/deepgram-tray-base:bookworm)
#   BASE=localhost/deepgram-tray-base:bookworm PYTHON_VERSION=3.11 packaging/container/build.sh
# Environment: ENGINE (podman or docker), SUITE (default bookworm), MIRROR (default deb.debian.org).
# Needs mmdebstrap (apt-get install mmdebstrap); as a normal user it builds in a user namespace.
set -euo pipefail
tag=${1:-localhost/deepgram-tray-base:bookworm}
engine=${ENGINE:-$(command -v podman || command -v docker || true)}
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
if [ -z "$engine" ]; then
  echo "Neither podman nor docker is installed: install one (e.g. apt-get install podman)." >&2
  exit 1
fi

tarball=$(mktemp --suffix=.tar)
trap 'rm -f "$tarball"' EXIT
# Documentation, manual pages and translations are of no use in a service image.
mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  "$suite" "$tarball" "$mirror"
"$engine" import --change 'CMD ["python3"]' "$tarball" "$tag"
