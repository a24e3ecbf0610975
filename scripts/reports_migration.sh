#!/usr/bin/env bash
# Regenerate the management reports migration (revision reports0001) from the models — only while it has
# not landed. Locked, so two people running it at once get one file.
set -euo pipefail
cd "$(dirname "$0")/.."
exec 9>/tmp/reports_migration.lock
flock 9
rm -f migrations/versions/reports0001_*.py
db=$(mktemp -u /tmp/rep_mig_XXXX.db)
export DATABASE_URL="sqlite:///$db" INTRANET_ENV=development
.venv/bin/flask db upgrade >/dev/null
.venv/bin/flask db migrate --rev-id reports0001 -m "Management: KPI targets, digest recipients, digests and their chart images" >/dev/null
.venv/bin/flask db upgrade >/dev/null
.venv/bin/flask db check
rm -f "$db"
