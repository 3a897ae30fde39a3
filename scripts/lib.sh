# Shared by the scripts in this folder: system packages and the virtualenv.
# shellcheck shell=bash

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install the Debian/Ubuntu packages that are missing (apt-get update once, only when needed).
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "Installing system packages: ${missing[*]}" >&2
  local log
  log=$(mktemp)
  if ! { as_root apt-get update -qq &&
         as_root env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "Could not install ${missing[*]}: see the apt-get output above." >&2
    return 1
  fi
  rm -f "$log"
}

# ensure_venv DIR PIP_ARGS...: a virtualenv on the system Python, which sees the distribution's
# PyGObject (python3-gi) for the tray's GTK backend, with the given requirements installed.
ensure_venv() {
  local dir=$1; shift
  # A venv whose creation was cut short has a python but no pip: make it again.
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$dir"
    /usr/bin/python3 -m venv --system-site-packages "$dir"
  fi
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
}

# ensure_plain_venv DIR [WHEEL]: a virtualenv WITHOUT the distribution's packages (no PyGObject),
# as pipx, pyenv, uv and plain virtualenvs give, with the app installed from WHEEL (the file
# scripts/build-dist makes, as a pipx user installs it), else from a wheel of this checkout;
# reinstalled each time, so it is this checkout's code.
ensure_plain_venv() {
  local dir=$1 source=${2:-.}
  if [ ! -x "$dir/bin/python" ] || ! "$dir/bin/python" -m pip --version >/dev/null 2>&1; then
    rm -rf "$dir"
    /usr/bin/python3 -m venv "$dir"
  fi
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$source"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "$source"
}
