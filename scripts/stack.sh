#!/usr/bin/env bash
# The local stack: a private PostgreSQL 15 cluster, the five services and
# nginx on loopback, all kept under one state directory ($ISMS_VAR).
#
# Usage: scripts/stack.sh start|stop|status|destroy
#   start    idempotent: creates what is missing, starts what is not running
#   stop     stops what start started (nginx, services, PostgreSQL)
#   status   lists what runs; exit 0 only when everything does
#   destroy  stop, then delete the state directory (database, keys, logs)
#   restart-db  restart PostgreSQL only (fault tests)
# Environment:
#   ISMS_VAR         state directory (default <repo>/var)
#   ISMS_HTTP_PORT   nginx port on 127.0.0.1 (default 8080)
#   ISMS_BUILD_DIR   build tree holding bin/ (default <repo>/build)
#   ISMS_WORKERS     worker threads per service (default 4)
#   ISMS_INSTANCES   processes per service, 1 or 2 (default 2): the second
#                    listens on isms-<name>-2.sock, nginx's backup server
#                    for the service, which takes over at once when the
#                    first stops answering (a crash, a restart)
#   ISMS_SUPERVISE   1 (default): scripts/service.sh restarts a service
#                    process that dies; 0: nothing restarts it
#   ISMS_WITH_PGTAP  1: also install the pgTAP extension (the tests)
#   ISMS_START_TIMEOUT  seconds to wait for every /readyz (default 30)
#   ISMS_LOGIN_RATE, ISMS_LOGIN_BURST  login rate limit (10r/s, 20)
#   ISMS_WRITE_RATE, ISMS_WRITE_BURST  write rate limit per client (50r/s, 200)
#   ISMS_HTTPS_PORT  nginx's HTTPS port on 127.0.0.1 (default: the HTTP port
#                    + 363, so 8443 beside 8080); "off": plain HTTP only.
#                    The certificate is self-signed: $ISMS_VAR/tls/cert.pem
#   ISMS_CORS_ORIGIN the one browser origin CORS allows (default: none)
#
# Run as root, everything runs as the system user "isms" (created on first
# start) and $ISMS_VAR belongs to it. When that user cannot reach the
# chosen $ISMS_VAR (a checkout under /root, say), the state lives in
# /var/lib/isms/<name>-<hash> instead and $ISMS_VAR becomes a symlink to
# it; when it cannot read the build tree, the binaries are copied into
# the state directory's bin/ on every start.
#
# $ISMS_VAR holds: isms.env (connection strings etc., KEY='value' lines),
# pg/ (the cluster), run/ (sockets, pid files), log/, keys/ (JWT keys),
# secrets/ (role passwords), nginx/ (rendered config).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
scripts=$repo/scripts
services=(auth assets risks controls audits)
instances=${ISMS_INSTANCES:-2}
supervise=${ISMS_SUPERVISE:-1}
pg_bin=/usr/lib/postgresql/15/bin
pg_port=5433
http_port=${ISMS_HTTP_PORT:-8080}
url=http://127.0.0.1:$http_port
# HTTPS beside HTTP, on a port derived from the HTTP port so that stacks on
# different ports (the tests' among them) do not collide.
https_port=${ISMS_HTTPS_PORT:-$((http_port + 363))}
[[ $https_port != off ]] || https_port=
https_url=${https_port:+https://127.0.0.1:$https_port}

log() { printf 'stack: %s\n' "$*"; }
die() {
	printf 'stack: %s\n' "$*" >&2
	exit 1
}
abspath() {
	case "$1" in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$PWD" "$1" ;;
	esac
}
# Paths end up inside KEY='value' lines and libpq conninfo strings.
check_path() {
	[[ $1 =~ ^[A-Za-z0-9_./+-]+$ ]] ||
		die "path '$1' may only hold letters, digits and _ . / + - (no spaces or quotes)"
}

var_req=$(abspath "${ISMS_VAR:-$repo/var}")
build_dir=$(abspath "${ISMS_BUILD_DIR:-$repo/build}")
var=$var_req # the real directory; differs only through the fallback symlink
if [[ -L $var_req ]]; then
	var=$(readlink -m "$var_req")
fi
# Every path is absolute now; the runtime user may not enter the caller's
# working directory.
cd /
rt_user=$(id -un)
rt_prefix=() # prepended to commands that run as the runtime user

set_user() {
	rt_user=$1
	((EUID == 0)) || return 0
	rt_prefix=(setpriv --reuid="$rt_user" --regid="$(id -g "$rt_user")" --init-groups --)
}
as_rt() { "${rt_prefix[@]}" "$@"; }

set_paths() {
	run=$var/run
	logs=$var/log
	pgdata=$var/pg
	env_file=$var/isms.env
}
set_paths

# Prints the pid found on the first line of a pid file when that process
# still runs one of the given command lines (globs): pid reuse is no match.
live_pid() { # pidfile glob...
	local pid cmd glob
	[[ -r $1 ]] || return 1
	read -r pid <"$1" || true
	[[ ${pid:-} =~ ^[0-9]+$ ]] || return 1
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
	shift
	for glob in "$@"; do
		# shellcheck disable=SC2053 # a glob on purpose
		if [[ $cmd == $glob ]]; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}
# Instance 1 of a service is <name> (socket isms-<name>.sock, <name>.pid,
# log/<name>.log), instance 2 is <name>-2 (isms-<name>-2.sock...).
instance() { # service number
	if (($2 == 1)); then echo "$1"; else echo "$1-$2"; fi
}
# service.sh writes the pid file, then execs isms-<name> in the same process
# or, supervising, stays as its parent.
service_pid() { # service [instance number]
	live_pid "$run/$(instance "$1" "${2:-1}").pid" "*/isms-$1 *" "*service.sh $1 *"
}
nginx_pid() { live_pid "$run/nginx.pid" "nginx: master*"; }
pg_pid() { live_pid "$pgdata/postmaster.pid" "*postgres*"; }

# True while a process runs; an exited one waiting to be reaped does not.
alive() {
	local stat
	stat=$(cat 2>/dev/null "/proc/$1/stat") || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

# Sends a signal, then waits up to 10 s before SIGKILL.
terminate() { # pid signal what
	local i
	kill "-$2" "$1" 2>/dev/null || return 0
	for ((i = 0; i < 100; i++)); do
		alive "$1" || return 0
		sleep 0.1
	done
	log "$3 (pid $1) ignored SIG$2 for 10 s: killing it"
	# Each daemon leads its own process group (nginx's workers, say).
	kill -KILL -- "-$1" 2>/dev/null || kill -KILL "$1" 2>/dev/null || true
}

# --- start ---------------------------------------------------------------

check_tools() {
	local prog missing=()
	for prog in "${services[@]/#/isms-}" ismsctl; do
		[[ -x $build_dir/bin/$prog ]] || missing+=("$prog")
	done
	((${#missing[@]} == 0)) ||
		die "not built: ${missing[*]} missing in $build_dir/bin (run: make build)"
	[[ -x $pg_bin/initdb ]] || die "PostgreSQL 15 not installed (run: scripts/deps.sh)"
	[[ $instances == [12] ]] || die "ISMS_INSTANCES must be 1 or 2 (got '$instances')"
	local tool
	for tool in nginx curl openssl setpriv setsid; do
		command -v "$tool" >/dev/null || die "$tool not installed (run: scripts/deps.sh)"
	done
}

# As root: pick the runtime user and a state directory it can reach.
choose_user_and_var() {
	((EUID == 0)) || return 0
	if ! id -u isms >/dev/null 2>&1; then
		log "creating system user isms"
		useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin isms
	fi
	set_user isms
	[[ -L $var_req ]] && return 0
	mkdir -p "$(dirname "$var_req")"
	as_rt test -x "$(dirname "$var_req")" && return 0
	[[ -e $var_req ]] && die "user isms cannot reach $var_req; set ISMS_VAR elsewhere"
	var=/var/lib/isms/$(basename "$var_req")-$(printf '%s' "$var_req" | sha256sum | cut -c1-8)
	log "user isms cannot reach $var_req: keeping the state in $var (symlinked)"
	install -d -m 755 /var/lib/isms
	ln -s "$var" "$var_req"
	set_paths
}

prepare_dirs() {
	check_path "$var"
	check_path "$repo"
	# Unix socket paths are limited to 107 bytes.
	((${#run} + 20 <= 107)) || die "ISMS_VAR path too long for unix sockets: $var"
	local owner=()
	((EUID != 0)) || owner=(-o "$rt_user" -g "$(id -g "$rt_user")")
	install -d -m 750 "${owner[@]}" "$var" "$run" "$logs" "$var/nginx"
	install -d -m 700 "${owner[@]}" "$pgdata" "$var/keys" "$var/secrets"
	fix_owner
}

# Everything in the state directory belongs to the runtime user.
fix_owner() { # [path...], default: all of it
	((EUID != 0)) || chown -R "$rt_user:$(id -g "$rt_user")" "${@:-$var}"
}

secret() { # name -> password, created once
	local f=$var/secrets/$1.password
	if [[ ! -s $f ]]; then
		(umask 077 && openssl rand -hex 24 >"$f")
	fi
	cat "$f"
}

start_postgres() {
	if [[ ! -f $pgdata/PG_VERSION ]]; then
		log "initialising the PostgreSQL cluster in $pgdata"
		secret postgres >/dev/null
		fix_owner "$var/secrets"
		as_rt "$pg_bin/initdb" -D "$pgdata" -U postgres \
			--pwfile="$var/secrets/postgres.password" \
			--auth-local=scram-sha-256 --auth-host=scram-sha-256 \
			--encoding=UTF8 --locale=C.UTF-8 \
			</dev/null >>"$logs/initdb.log" 2>&1 ||
			{
				tail -n 20 "$logs/initdb.log" >&2
				die "initdb failed"
			}
		echo "include_if_exists = 'isms.conf'" >>"$pgdata/postgresql.conf"
	fi
	# Rewritten on every start so the paths follow $ISMS_VAR.
	cat >"$pgdata/isms.conf" <<-EOF
		listen_addresses = ''
		port = $pg_port
		unix_socket_directories = '$run'
	EOF
	fix_owner "$pgdata/isms.conf"
	local pid
	if pid=$(pg_pid); then
		log "PostgreSQL already running (pid $pid)"
		return
	fi
	log "starting PostgreSQL (socket in $run, port $pg_port)"
	as_rt "$pg_bin/pg_ctl" -D "$pgdata" -l "$logs/postgresql.log" -w -t 60 -s start \
		</dev/null >/dev/null 2>&1 ||
		{
			tail -n 20 "$logs/postgresql.log" >&2
			die "PostgreSQL did not start"
		}
}

bootstrap_db() {
	PGHOST=$run PGPORT=$pg_port PGUSER=postgres PGPASSWORD=$(secret postgres) \
		ISMS_OWNER_PASSWORD=$(secret isms_owner) ISMS_APP_PASSWORD=$(secret isms_app) \
		PSQL=$pg_bin/psql "$scripts/db-bootstrap.sh"
}

write_env() {
	local conn="host=$run port=$pg_port dbname=isms"
	(
		umask 077
		cat >"$env_file.tmp" <<-EOF
			ISMS_VAR='$var'
			ISMS_HTTP_PORT='$http_port'
			ISMS_HTTP_URL='$url'
			ISMS_HTTPS_PORT='${https_port:-off}'
			ISMS_HTTPS_URL='$https_url'
			ISMS_TLS_CA='${https_port:+$var/tls/cert.pem}'
			ISMS_CORS_ORIGIN='${ISMS_CORS_ORIGIN:-}'
			ISMS_DATABASE_URL='$conn user=isms_app password=$(secret isms_app)'
			ISMS_ADMIN_DATABASE_URL='$conn user=isms_owner password=$(secret isms_owner)'
			ISMS_SUPER_DATABASE_URL='$conn user=postgres password=$(secret postgres)'
			ISMS_JWT_KEYS_DIR='$var/keys'
			ISMS_SQL_DIR='$repo/sql'
			ISMS_WORKERS='${ISMS_WORKERS:-4}'
		EOF
		mv "$env_file.tmp" "$env_file"
	)
}

migrate() {
	log "applying migrations"
	(
		set -a
		# shellcheck source=/dev/null
		. "$env_file"
		set +a
		"$build_dir/bin/ismsctl" migrate
	) || die "ismsctl migrate failed"
}

# Sets bin and launcher: where the runtime user finds the services and
# scripts/service.sh.
find_runtime_bin() {
	bin=$build_dir/bin
	launcher=$scripts/service.sh
	as_rt test -x "$bin/isms-auth" -a -r "$launcher" && return 0
	# The runtime user cannot read the checkout: run copies.
	bin=$var/bin
	launcher=$bin/service.sh
	install -d -m 750 "$bin"
	cp -f "$scripts/service.sh" "$bin/"
	local svc
	for svc in "${services[@]}"; do
		cp -f "$build_dir/bin/isms-$svc" "$bin/"
	done
	fix_owner "$bin"
}

start_services() {
	local bin launcher svc pid n inst
	find_runtime_bin
	for svc in "${services[@]}"; do
		for ((n = 1; n <= instances; n++)); do
			inst=$(instance "$svc" "$n")
			if pid=$(service_pid "$svc" "$n"); then
				log "isms-$inst already running (pid $pid)"
				continue
			fi
			log "starting isms-$inst"
			rm -f "$run/$inst.pid"
			touch "$logs/$inst.log"
			fix_owner "$logs/$inst.log"
			# A plain command (no function) so that '&' execs it directly.
			"${rt_prefix[@]}" env ISMS_ENV_FILE="$env_file" ISMS_BIN_DIR="$bin" \
				ISMS_LISTEN="$run/isms-$inst.sock" ISMS_PID_FILE="$run/$inst.pid" \
				ISMS_SUPERVISE="$supervise" \
				setsid "$launcher" "$svc" </dev/null >>"$logs/$inst.log" 2>&1 &
		done
	done
}

# The self-signed certificate of the HTTPS listener (scripts/tls-cert.sh).
make_tls() {
	[[ -n $https_port ]] || return 0
	"$scripts/tls-cert.sh" "$var/tls"
	fix_owner "$var/tls"
}

# The API reference page: Swagger UI (pinned in nginx/docs/package-lock.json,
# installed with npm on first use), our page and the contract, copied into
# nginx's prefix on every start. Without npm the stack runs without it.
install_docs() {
	local src=$repo/nginx/docs dist=$repo/nginx/docs/node_modules/swagger-ui-dist
	local docs=$var/nginx/docs
	if command -v npm >/dev/null; then
		"$scripts/npm-deps.sh" "$src" >/dev/null ||
			die "could not install Swagger UI (scripts/npm-deps.sh $src)"
	fi
	if [[ ! -r $dist/swagger-ui-bundle.js ]]; then
		log "npm is not installed: no API reference page at /docs"
		return 0
	fi
	install -d -m 755 "$docs"
	cp -f "$src/index.html" "$src/docs.js" "$dist/swagger-ui-bundle.js" \
		"$dist/swagger-ui.css" "$dist/favicon-32x32.png" \
		"$repo/openapi/openapi.yaml" "$docs/"
}

start_nginx() {
	local pid nginx_args=(-p "$var/nginx" -c "$var/nginx/nginx.conf" -e "$logs/nginx-error.log")
	ISMS_VAR=$var ISMS_HTTP_PORT=$http_port ISMS_HTTP_ADDR=127.0.0.1 \
		ISMS_HTTPS_PORT=$https_port ISMS_TLS_CERT="$var/tls/cert.pem" \
		ISMS_TLS_KEY="$var/tls/key.pem" ISMS_NGINX_DAEMON=on "$scripts/nginx-conf.sh"
	touch "$logs/nginx-error.log" "$logs/nginx-access.log"
	fix_owner "$var/nginx" "$logs"
	as_rt nginx -q -t "${nginx_args[@]}" || die "nginx rejected $var/nginx/nginx.conf"
	if pid=$(nginx_pid); then
		log "reloading nginx (pid $pid)"
		as_rt nginx "${nginx_args[@]}" -s reload
		return
	fi
	log "starting nginx on $url${https_url:+ and $https_url}"
	as_rt nginx "${nginx_args[@]}" </dev/null >>"$logs/nginx-error.log" 2>&1 ||
		{
			tail -n 20 "$logs/nginx-error.log" >&2
			die "nginx did not start"
		}
}

wait_ready() {
	local start=$SECONDS timeout=${ISMS_START_TIMEOUT:-30} svc n pending dead
	while :; do
		pending=() dead=()
		for svc in "${services[@]}"; do
			curl -fs -o /dev/null --noproxy '*' --max-time 2 "$url/readyz/$svc" &&
				continue
			pending+=("$svc")
		done
		# Give a service 3 s to write its pid file before calling it dead.
		for svc in "${services[@]}"; do
			for ((n = 1; n <= instances; n++)); do
				if ((SECONDS - start >= 3)) && ! service_pid "$svc" "$n" >/dev/null; then
					dead+=("$(instance "$svc" "$n")")
				fi
			done
		done
		((${#pending[@]} == 0)) && return 0
		((${#dead[@]} == 0 && SECONDS - start < timeout)) || break
		sleep 0.5
	done
	for svc in "${pending[@]}" "${dead[@]}"; do
		printf '\n--- %s: not ready; tail of %s ---\n' "$svc" "$logs/$svc.log" >&2
		tail -n 30 "$logs/$svc.log" >&2 || true
	done
	printf '\n--- tail of %s ---\n' "$logs/nginx-error.log" >&2
	tail -n 10 "$logs/nginx-error.log" >&2 || true
	((${#dead[@]} == 0)) || die "exited: ${dead[*]}"
	die "not ready after $timeout s: ${pending[*]}"
}

cmd_start() {
	check_tools
	choose_user_and_var
	prepare_dirs
	start_postgres
	bootstrap_db
	"$scripts/jwt-keys.sh" "$var/keys"
	write_env
	fix_owner
	migrate
	start_services
	make_tls
	install_docs
	start_nginx
	wait_ready
	local stop_cmd="make stop   (or scripts/stack.sh stop)"
	[[ $var_req == "$repo/var" ]] || stop_cmd="ISMS_VAR=$var_req scripts/stack.sh stop"
	cat <<-EOF

		The ISMS platform is up at $url${https_url:+ and $https_url} (as user $rt_user).
		  API reference: $url/docs (the contract: $url/openapi.yaml)
		  environment:  $env_file  (source it for psql, ismsctl and tests)
		  logs:         $logs
		  stop it with: $stop_cmd
		Create a tenant:
		  $build_dir/bin/ismsctl tenant create --name NAME --slug SLUG --admin-email EMAIL --admin-password-stdin
		  (with the environment loaded: set -a; . $env_file; set +a)
		then log in with POST $url/api/v1/auth/login
	EOF
}

# --- stop, status, destroy -----------------------------------------------

cmd_stop() {
	[[ -d $var ]] || {
		log "nothing to stop in $var_req"
		return 0
	}
	local pid svc n inst
	# pg_ctl must run as the cluster's owner.
	if ((EUID == 0)) && [[ -d $pgdata ]]; then
		set_user "$(stat -c %U "$pgdata")"
	fi
	if pid=$(nginx_pid); then
		log "stopping nginx (pid $pid)"
		terminate "$pid" QUIT nginx
	fi
	rm -f "$run/nginx.pid"
	# Both instances, whatever ISMS_INSTANCES says now.
	for svc in "${services[@]}"; do
		for n in 1 2; do
			inst=$(instance "$svc" "$n")
			if pid=$(service_pid "$svc" "$n"); then
				log "stopping isms-$inst (pid $pid)"
				terminate "$pid" TERM "isms-$inst"
			fi
			rm -f "$run/$inst.pid" "$run/isms-$inst.sock"
		done
	done
	if pid=$(pg_pid); then
		log "stopping PostgreSQL (pid $pid)"
		as_rt "$pg_bin/pg_ctl" -D "$pgdata" -m fast -w -t 60 -s stop
	fi
}

# Restarts PostgreSQL under running services (the fault tests: services
# must reconnect by themselves).
cmd_restart_db() {
	[[ -d $pgdata ]] || die "no cluster in $pgdata"
	if ((EUID == 0)); then
		set_user "$(stat -c %U "$pgdata")"
	fi
	log "restarting PostgreSQL"
	as_rt "$pg_bin/pg_ctl" -D "$pgdata" -l "$logs/postgresql.log" -m fast \
		-w -t 60 -s restart </dev/null >/dev/null 2>&1 ||
		die "PostgreSQL did not restart"
}

cmd_status() {
	local pid svc n down=0
	report() { # what pid-or-empty
		if [[ -n $2 ]]; then
			printf '%-16s running (pid %s)\n' "$1" "$2"
		else
			printf '%-16s stopped\n' "$1"
			down=1
		fi
	}
	report postgresql "$(pg_pid || true)"
	for svc in "${services[@]}"; do
		for ((n = 1; n <= instances; n++)); do
			report "isms-$(instance "$svc" "$n")" "$(service_pid "$svc" "$n" || true)"
		done
	done
	pid=$(nginx_pid || true)
	report nginx "$pid"
	if [[ -n $pid && -r $env_file ]]; then
		sed -n -e "s/^ISMS_HTTP_URL='\(.*\)'$/url: \1/p" \
			-e "s/^ISMS_HTTPS_URL='\(..*\)'$/url: \1/p" "$env_file"
		echo "env: $env_file"
	fi
	return $((down * 3))
}

cmd_destroy() {
	cmd_stop
	[[ -e $var ]] || return 0
	# Refuse to delete a directory that is not a stack's state directory.
	if [[ ! -e $var/isms.env && ! -e $pgdata && -n $(ls -A "$var") ]]; then
		die "$var does not look like a stack state directory; not deleting it"
	fi
	log "deleting $var"
	rm -rf "$var"
	[[ ! -L $var_req ]] || rm -f "$var_req"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
destroy) cmd_destroy ;;
restart-db) cmd_restart_db ;;
*)
	echo "usage: $0 start|stop|status|destroy|restart-db" >&2
	exit 2
	;;
esac
