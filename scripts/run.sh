#!/usr/bin/env bash
# Set up and run the example region: the one command for a newcomer.
#
# Installs what is missing (PostgreSQL server binaries, make) when run as root,
# else prints the command to run; builds the hub and its adapters; then runs
# the hub on 127.0.0.1:8080 with its data in ./var/. Without
# KETENHUB_DATABASE_URL the hub runs its own PostgreSQL in ./var/ (the system
# cluster of the Debian package is not used).
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/lib.sh
. scripts/lib.sh

packages=()
if [ -z "${KETENHUB_DATABASE_URL:-}" ] && ! have_pg_server; then
	packages+=(postgresql)
fi
command -v make >/dev/null || packages+=(make)
if [ ${#packages[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "run: ketenhub needs ${packages[*]}. Install with:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y ${packages[*]}" >&2
		echo "then run $0 again." >&2
		exit 1
	fi
	echo "run: installing ${packages[*]}"
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y "${packages[@]}"
	if [[ " ${packages[*]} " == *" postgresql "* ]]; then
		stop_system_clusters
	fi
fi

if ! command -v go >/dev/null; then
	want=$(awk '$1 == "go" { print $2; exit }' go.mod)
	echo "run: Go is missing. Install Go $want or newer from https://go.dev/dl/ and put its bin folder on PATH." >&2
	exit 1
fi

make build
exec ./bin/ketenhub serve --config config/ketenhub.yaml
