#!/bin/sh
# A PostgreSQL container's start: its superuser password generated on the first start into
# $PASSWORD_FILE on the secrets volume (never a well-known one), then the image's entrypoint.
set -eu
umask 077
if [ ! -s "$PASSWORD_FILE" ]; then
    head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$PASSWORD_FILE"
fi
chown postgres "$PASSWORD_FILE"
export POSTGRES_PASSWORD_FILE="$PASSWORD_FILE"
exec docker-entrypoint.sh "$@"
