#!/usr/bin/env bash
# Writes a .env for the local demo: DEBUG and demo accounts on, a fresh random secret,
# e-mail to the console. Never used on a server (see README, "Deployment").
set -euo pipefail
[ -f .env ] && exit 0
secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
cat > .env <<ENV
DEBUG=on
DEMO_MODE=on
SECRET_KEY=$secret
EMAIL_BACKEND=django.core.mail.backends.console.EmailBackend
# The Keelung plan covers 2022–2025; the demo acts as if it were early October 2025,
# with 114Q3 reports due and demo reports filed for the years before.
KPI_TODAY=2025-10-08
ENV
echo "Wrote .env for the local demo."
