#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY database.
#   scripts/restore.sh /var/backups/kpi/kpi-20251008-0200.dump [/var/backups/kpi/kpi-media-….tar.gz]
set -euo pipefail
dump=${1:?usage: scripts/restore.sh DUMP [MEDIA_TAR]}
: "${DATABASE_URL:?set DATABASE_URL to the empty target database}"
pg_restore --no-owner --exit-on-error --single-transaction --dbname="$DATABASE_URL" "$dump"
if [ -n "${2:-}" ]; then
  media=${MEDIA_ROOT:-$(dirname "$0")/../var/media}
  mkdir -p "$media"
  tar -C "$media" -xzf "$2"
fi
echo "Restored $dump"
