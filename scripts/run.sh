#!/usr/bin/env bash
# Start the bank, the worker and the peer services (make run). One "<name>: <url>" line per service.
set -euo pipefail
cd "$(dirname "$0")/.."
export AZUKARI_PORT="${PORT:-5000}"
# The peers register the bank's callback URLs from PUBLIC_URL, so it must follow the port.
export PUBLIC_URL="${PUBLIC_URL:-http://localhost:${AZUKARI_PORT}}"
echo "azukari: http://localhost:${AZUKARI_PORT}"
.venv/bin/python -m app.peers.runner --list
echo "(mail sent in development: http://localhost:${AZUKARI_PORT}/dev/mail/ ; Ctrl-C stops everything)"
exec .venv/bin/honcho --no-colour -f Procfile.dev start
