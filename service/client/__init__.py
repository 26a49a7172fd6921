"""A command-line client of the HTTP API: `provisioner accounts | ops | queues`."""
