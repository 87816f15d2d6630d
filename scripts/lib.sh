# Shared by scripts/run.sh and .ci/run (sourced, not run): install what the
# hub needs from Debian's packages when it is missing.

# have_pg_server: are initdb and postgres installed?
have_pg_server() {
	local bindir f
	if bindir=$(pg_config --bindir 2>/dev/null) && [ -x "$bindir/postgres" ] && [ -x "$bindir/initdb" ]; then
		return 0
	fi
	for f in /usr/lib/postgresql/*/bin/postgres; do
		if [ -x "$f" ] && [ -x "${f%/postgres}/initdb" ]; then
			return 0
		fi
	done
	return 1
}

# stop_system_clusters: stop the cluster that installing the Debian package
# started on port 5432; the hub does not use it.
stop_system_clusters() {
	command -v pg_lsclusters >/dev/null || return 0
	local ver name _port status _rest
	pg_lsclusters --no-header 2>/dev/null | while read -r ver name _port status _rest; do
		if [ "$status" = online ]; then
			echo "stopping the Debian system cluster $ver/$name; ketenhub runs its own PostgreSQL"
			pg_ctlcluster "$ver" "$name" stop || true
		fi
	done || true
}

