#!/usr/bin/env bash
# `make loadtest`: 50 concurrent users for 60 s over the main pages, against gunicorn on
# PostgreSQL on loopback, with production settings (DEBUG off). Uses its own database,
# wanyuan_load, which it recreates; nothing else is touched.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.venv/bin
USERS=${LOAD_USERS:-50}
DURATION=${LOAD_DURATION:-60s}
PORT=${LOAD_PORT:-8091}
WORKERS=${LOAD_WORKERS:-4}
PG=${LOAD_PG:-postgres://postgres@127.0.0.1:5432}
work=$(mktemp -d)
trap 'kill "${gunicorn_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

export DATABASE_URL=$PG/wanyuan_load
export SECRET_KEY=load-test-secret-$(date +%s)-not-for-production
export ALLOWED_HOSTS=127.0.0.1 SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0
export DEMO_MODE=1 DEMO_PASSWORD=load-test-password-$RANDOM LOAD_PASSWORD
export STATIC_ROOT=$work/static MEDIA_ROOT=$work/media
export AXES_FAILURE_LIMIT=1000
LOAD_PASSWORD=$DEMO_PASSWORD
unset DEBUG

psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS wanyuan_load" -c "CREATE DATABASE wanyuan_load"
$BIN/python manage.py migrate --no-input -v 0
$BIN/python manage.py setup_demo >/dev/null
$BIN/python manage.py collectstatic --no-input -v 0
$BIN/gunicorn wanyuan.wsgi:application --bind 127.0.0.1:$PORT --workers "$WORKERS" \
  --log-level warning &
gunicorn_pid=$!
for _ in $(seq 1 30); do curl -fs -o /dev/null http://127.0.0.1:$PORT/accounts/login/ && break; sleep 0.5; done

echo "== $USERS users for $DURATION against gunicorn ($WORKERS workers) on PostgreSQL"
$BIN/locust -f tests/load/locustfile.py --headless --host http://127.0.0.1:$PORT \
  -u "$USERS" -r 10 -t "$DURATION" --only-summary --stop-timeout 5
