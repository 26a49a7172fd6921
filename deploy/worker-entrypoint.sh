#!/bin/sh
# Workers alone get the tenant cluster's superuser URL, built from the generated password and
# the cluster's address on the internal `tenant-admin` network.
set -eu
password=$(cat /secrets/tenant-superuser.password)
export TENANT_DATABASE_URL="postgresql://postgres:${password}@tenant-postgres-admin:5432/postgres"
exec "$@"
