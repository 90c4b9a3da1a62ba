#!/usr/bin/env bash
# Install (if missing) and start the services the tests need: PostgreSQL, Chromium, a CJK font
# and mosquitto. Prints the export lines for JUNKAN_TEST_POSTGRES_URL and JUNKAN_TEST_MQTT_URL.
# Idempotent; needs root (apt, su).
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 \
  || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# a CJK font, so Japanese UI text (and screenshots) render as characters, not boxes
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "ok installed" || need+=(fonts-noto-cjk)
# an MQTT broker for junkan.sensing's ingest tests
[ -x /usr/sbin/mosquitto ] || need+=(mosquitto)
# zbar (barcodes, QR) and Tesseract OCR for junkan.metering's model identification
ldconfig -p | grep -q 'libzbar\.so\.0' || need+=(libzbar0)
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >&2
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_lsclusters -h | grep -q "^$ver main" || pg_createcluster "$ver" main >&2
pg_ctlcluster "$ver" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  su postgres -c "pg_isready -q -h 127.0.0.1" && break
  sleep 1
done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='junkan'\"" | grep -q 1 \
  || su postgres -c "psql -qc \"CREATE ROLE junkan LOGIN SUPERUSER PASSWORD 'junkan'\"" >&2
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='junkan_test'\"" | grep -q 1 \
  || su postgres -c "createdb -O junkan junkan_test" >&2
echo "export JUNKAN_TEST_POSTGRES_URL=postgresql+psycopg://junkan:junkan@127.0.0.1:5432/junkan_test"
# mosquitto on loopback only, anonymous, no persistence (the tests kill and restart their own);
# a subscriber's queue of 100,000 messages, not mosquitto's 1,000: a test's burst outran
# the default once and its tail was dropped by the broker
if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  mkdir -p /run/junkan
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n' > /run/junkan/mosquitto.conf
  /usr/sbin/mosquitto -d -c /run/junkan/mosquitto.conf >&2
  for _ in $(seq 1 30); do (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break; sleep 0.2; done
fi
echo "export JUNKAN_TEST_MQTT_URL=mqtt://127.0.0.1:1883"
