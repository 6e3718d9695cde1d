#!/usr/bin/env bash
# Back up the PostgreSQL database and the evidence files.
#   scripts/backup.sh /var/backups/kpi
# Reads DATABASE_URL and MEDIA_ROOT from the environment (as the app does).
set -euo pipefail
dest=${1:?usage: scripts/backup.sh DEST_DIR}
: "${DATABASE_URL:?set DATABASE_URL (postgres://…)}"
stamp=$(date +%Y%m%d-%H%M%S)
mkdir -p "$dest"
# Custom format: compressed, and pg_restore can restore it into an empty database.
pg_dump --format=custom --no-owner --dbname="$DATABASE_URL" --file="$dest/kpi-$stamp.dump"
media=${MEDIA_ROOT:-$(dirname "$0")/../var/media}
if [ -d "$media" ]; then
  tar -C "$media" -czf "$dest/kpi-media-$stamp.tar.gz" .
fi
echo "Backed up to $dest/kpi-$stamp.dump${media:+ and kpi-media-$stamp.tar.gz}"
