#!/usr/bin/env bash
# Regenerate the customer-care migration (revision care0001) from the models — only while it has
# not landed. Locked, so two people running it at once get one file.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/care_migration.lock
flock 9
rm -f migrations/versions/care0001_*.py
db=$(mktemp -u /tmp/care_mig_XXXX.db)
export DATABASE_URL="sqlite:///$db" INTRANET_ENV=development
.venv/bin/flask db upgrade >/dev/null
.venv/bin/flask db migrate --rev-id care0001 -m "Customer care: calls, complaints, reminders, messages, win-back, events, CSI; customer file fields" >/dev/null
.venv/bin/flask db upgrade >/dev/null
.venv/bin/flask db check
rm -f "$db"
