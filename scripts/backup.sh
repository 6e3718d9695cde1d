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
  # The files after the dump, never before: a row in the dump had its file whole and on disk
  # before it committed (common.storage), so this tar, started later, holds it. People may be
  # uploading meanwhile: temporary .upload-*.part files are left out, and tar's status 1 ("file
  # changed as we read it": a directory gaining a new upload, a rolled-back upload's file going)
  # is expected; those files have no row in the dump. Any other status fails the backup.
  # After a restore, `manage.py check_evidence` verifies that every row has its file.
  status=0
  tar -C "$media" --exclude='.upload-*.part' --warning=no-file-changed --warning=no-file-removed \
    -czf "$dest/kpi-media-$stamp.tar.gz" . || status=$?
  if [ "$status" -gt 1 ]; then
    echo "tar of $media failed (status $status)" >&2
    exit "$status"
  fi
fi
echo "Backed up to $dest/kpi-$stamp.dump${media:+ and kpi-media-$stamp.tar.gz}"
