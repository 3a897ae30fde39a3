#!/usr/bin/env bash
# Build the exporter's container image from this checkout:
#   packaging/container/build.sh [TAG]          (default localhost/deepgram-tray-exporter:latest)
# Environment:
#   ENGINE          podman or docker (default: whichever is installed, podman first)
#   BASE            the base image (default docker.io/library/python:3.12-slim); it needs
#                   python3 with venv and useradd: make-debian-base.sh makes one from Debian
#   PYTHON_VERSION  BASE's Python as MAJOR.MINOR (default 3.12; Debian bookworm's is 3.11)
#   PYTHON          the Python that builds the wheels (default python3; it needs pip)
# The wheels are made here, for BASE's Python, so the image build needs no network.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
tag=${1:-localhost/deepgram-tray-exporter:latest}
engine=${ENGINE:-$(command -v podman || command -v docker || true)}
base=${BASE:-docker.io/library/python:3.12-slim}
python_version=${PYTHON_VERSION:-3.12}
python=${PYTHON:-python3}
if [ -z "$engine" ]; then
  echo "Neither podman nor docker is installed: install one (e.g. apt-get install podman)." >&2
  exit 1
fi

# pip takes each tag literally (it does not widen manylinux_2_28 to older glibcs), and some
# dependencies ship only older tags: list every glibc baseline a Debian 12 base can run.
arch=$(uname -m)
platforms=()
for baseline in manylinux_2_28 manylinux_2_17 manylinux2014; do
  platforms+=(--platform "${baseline}_$arch")
done

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
"$python" -m pip wheel --quiet --disable-pip-version-check --no-deps \
  --wheel-dir "$context/wheels" "$repo"
"$python" -m pip download --quiet --disable-pip-version-check --dest "$context/wheels" \
  --only-binary=:all: --implementation cp --python-version "$python_version" \
  "${platforms[@]}" "$context"/wheels/deepgram_balance_tray-*.whl
cp "$here/Containerfile" "$here/entrypoint.sh" "$context/"

format=()
# podman writes OCI images by default, which have no HEALTHCHECK: ask for Docker's format.
[ "$(basename "$engine")" = podman ] && format=(--format docker)
"$engine" build "${format[@]}" --build-arg "BASE=$base" --tag "$tag" "$context"
