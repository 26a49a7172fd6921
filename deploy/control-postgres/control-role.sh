#!/bin/sh
# First start of the control cluster: the role the control plane uses owns its database and is
# not a superuser (docs/tenants.md, "The control plane apart").
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --dbname postgres <<SQL
CREATE ROLE provisioner LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD 'provisioner';
CREATE DATABASE provisioner OWNER provisioner;
REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC;
SQL
