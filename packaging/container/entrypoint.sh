#!/bin/sh
# Start `deepgram-tray serve` in the container, with the key from DEEPGRAM_API_KEY or, when that
# is unset, from a secret file (so the key need not be in the container's environment listing).
# Extra arguments go to `serve`.
set -eu

secret_file=${DEEPGRAM_API_KEY_FILE:-/run/secrets/deepgram_api_key}
if [ -z "${DEEPGRAM_API_KEY:-}" ] && [ -e "$secret_file" ]; then
  if [ ! -r "$secret_file" ]; then
    echo "The key file $secret_file is not readable by user $(id -un) (uid $(id -u)): give that user read access." >&2
    exit 2
  fi
  # Editors and `echo` end the file with a newline: the key is the file without whitespace.
  DEEPGRAM_API_KEY=$(tr -d ' \t\r\n' <"$secret_file")
  export DEEPGRAM_API_KEY
fi
if [ -z "${DEEPGRAM_API_KEY:-}" ]; then
  echo "No Deepgram API key: pass -e DEEPGRAM_API_KEY, or mount the key as the file $secret_file." >&2
  exit 2
fi
exec deepgram-tray serve --listen "${DEEPGRAM_TRAY_LISTEN:-0.0.0.0:9787}" "$@"
