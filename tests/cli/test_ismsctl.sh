#!/usr/bin/env bash
# ismsctl against the running test stack: tenant create and list, down to
# a sign-in through nginx as the new admin; key rotation while the
# services run (new tokens carry the new kid, tokens of the kept previous
# key still work, JWKS follows, the oldest pairs are pruned).
# Rotation changes the stack's key directory: ctest runs this alone
# (RUN_SERIAL), after the integration suites.
# Environment: ISMS_ENV_FILE (the stack's isms.env), ISMS_BUILD_DIR.
set -uo pipefail

: "${ISMS_ENV_FILE:?is not set}" "${ISMS_BUILD_DIR:?is not set}"
set -a
# shellcheck source=/dev/null
. "$ISMS_ENV_FILE"
set +a
ctl=$ISMS_BUILD_DIR/bin/ismsctl
url=$ISMS_HTTP_URL
keys=$ISMS_JWT_KEYS_DIR
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0 failed=0
# Records the status of the command just before it: `test...; check NAME`.
check() {
	local result=$? name=$1
	if ((result == 0)); then
		passed=$((passed + 1))
		printf 'ok    %s\n' "$name"
	else
		failed=$((failed + 1))
		printf 'FAIL  %s\n' "$name"
		printf '      last ismsctl: exit %s, stderr:\n' "$rc"
		sed 's/^/        /' "$work/err" 2>/dev/null | head -n 5
		printf '      last HTTP: %s %.300s\n' "$status" \
			"$(cat "$work/body" 2>/dev/null)"
	fi
}

# ismsctl with stdin from $1: stdout in $work/out, stderr in $work/err,
# the exit status in $rc.
rc=0
ctl() {
	local input=$1
	shift
	"$ctl" "$@" <<<"$input" >"$work/out" 2>"$work/err"
	rc=$?
}
exits() { [[ $rc == "$1" ]]; }
says() { grep -qF -- "$1" "$work/err"; }

# The value of a JavaScript expression over the JSON in a file (j); fails
# when the file is not JSON.
json() {
	node -e '
		const fs = require("fs");
		const j = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
		const v = new Function("j", "return (" + process.argv[2] + ")")(j);
		console.log(typeof v === "string" ? v : JSON.stringify(v));
	' "$1" "$2"
}
is() { [[ $(json "$1" "$2") == "$3" ]]; }

# HTTP through nginx: the body in $work/body, the status in $status. A
# 503 ("retry shortly": a worker reopening its database connection, say
# after a fault test restarted PostgreSQL) is retried like a client would;
# these tests are about ismsctl, not about that.
status=000
http() { # method path [token] [json body]
	local i args=(-s --noproxy '*' --max-time 10 -o "$work/body"
		-w '%{http_code}' -X "$1" "$url$2")
	if [[ -n ${3:-} ]]; then
		args+=(-H "Authorization: Bearer $3")
	fi
	if [[ -n ${4:-} ]]; then
		args+=(-H 'Content-Type: application/json' --data-binary "$4")
	fi
	for ((i = 0; i < 10; i++)); do
		status=$(curl "${args[@]}") || status=000
		[[ $status == 503 ]] || break
		sleep 0.2
	done
}
# Signs in; the access token in $token (empty when refused).
token=
login() { # email password tenant
	local body
	body=$(node -e 'console.log(JSON.stringify({email: process.argv[1],
		password: process.argv[2], tenant: process.argv[3]}))' "$@")
	http POST /api/v1/auth/login "" "$body"
	token=
	if [[ $status == 200 ]]; then
		token=$(json "$work/body" j.access_token)
	fi
}
kid_of() { # token: the kid of its JOSE header
	node -e 'const h = process.argv[1].split(".")[0];
		console.log(JSON.parse(Buffer.from(h, "base64url")).kid)' "$1" \
		2>/dev/null
}
kids() { # the kids of `ismsctl keys list`, space separated
	"$ctl" keys list 2>/dev/null >"$work/keys.json" &&
		json "$work/keys.json" 'j.map(k => k.kid).join(" ")'
}
jwks_kids() {
	http GET /.well-known/jwks.json
	[[ $status == 200 ]] && json "$work/body" 'j.keys.map(k => k.kid).join(" ")'
}
# Repeats a command once a second until it succeeds, for up to 15 s:
# isms-auth rescans its key directory at most every 5 s.
eventually() {
	local i
	for ((i = 0; i < 15; i++)); do
		"$@" && return 0
		sleep 1
	done
	"$@"
}

suffix=$(date +%s)-$$
slug=cli-$suffix
name="CLI Test $suffix"
email=admin-$suffix@example.test
password='correct horse battery staple'

# --- usage -------------------------------------------------------------------

ctl ""
exits 2
check "no arguments: usage, exit 2"
ctl "" --help
exits 2 && says "tenant create --name NAME"
check "--help: usage, exit 2"
ctl "" tenant
exits 2
check "tenant without a verb: exit 2"
ctl "$password" tenant create --name N --slug "$slug" --admin-password-stdin
exits 2 && says "--admin-email is required"
check "missing --admin-email: exit 2"
ctl "$password" tenant create --name N --slug "$slug" --admin-email "$email"
exits 2 && says "--admin-password-stdin is required"
check "missing --admin-password-stdin: exit 2"
ctl "$password" tenant create --name N --slug "$slug" --admin-email \
	--admin-password-stdin
exits 2 && says "needs a value"
check "option without its value: exit 2"
ctl "$password" tenant create --name N --name M --slug "$slug" \
	--admin-email "$email" --admin-password-stdin
exits 2 && says "given twice"
check "repeated option: exit 2"
ctl "$password" tenant create --name N --slug "$slug" --admin-email "$email" \
	--admin-password-stdin --password=hunter2
exits 2 && says "unknown option" && ! says hunter2
check "unknown option: exit 2, its value not echoed"
ctl "$password" tenant create --name N --slug "$slug" --admin-email "$email" \
	--admin-password-stdin=x
exits 2 && says "takes no value"
check "a value for a flag: exit 2"
ctl "" tenant list extra
exits 2
check "tenant list with an argument: exit 2"
ctl "" keys rotate --keep 1
exits 2
check "keys rotate --keep 1: exit 2"

# --- tenant create -------------------------------------------------------------

ctl "$password" tenant create --name "$name" --slug "$slug" \
	--admin-email "$email" --admin-password-stdin
exits 0
check "tenant create: exit 0"
cp "$work/out" "$work/tenant.json"
is "$work/tenant.json" "Object.keys(j).join()" \
	id,slug,name,admin_user_id,admin_email,created_at &&
	is "$work/tenant.json" "[j.slug, j.name, j.admin_email].join('|')" \
		"$slug|$name|$email" &&
	is "$work/tenant.json" \
		'/^[0-9a-f-]{36}$/.test(j.id) && /^[0-9a-f-]{36}$/.test(j.admin_user_id)' true &&
	is "$work/tenant.json" \
		'/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(j.created_at)' true
check "tenant create: one JSON object with the tenant"
tenant_id=$(json "$work/tenant.json" j.id)
admin_id=$(json "$work/tenant.json" j.admin_user_id)
created_at=$(json "$work/tenant.json" j.created_at)

login "$email" "$password" "$slug"
[[ $status == 200 && -n $token ]]
check "the new admin signs in through nginx"
old_token=$token
http GET /api/v1/auth/me "$old_token"
[[ $status == 200 ]] &&
	is "$work/body" "[j.role, j.tenant_id, j.user_id].join()" \
		"admin,$tenant_id,$admin_id"
check "GET /api/v1/auth/me: role admin in the new tenant"

ctl "$password" tenant create --name Other --slug "$slug" \
	--admin-email "other-$email" --admin-password-stdin
exits 1 && says "slug already exists"
check "duplicate slug: exit 1, slug already exists"
ctl "$password" tenant create --name Bad --slug "Bad_$suffix" \
	--admin-email "bad-$email" --admin-password-stdin
exits 1 && says "invalid slug" && says "lowercase letters, digits and hyphens"
check "bad slug: exit 1, what a slug may hold"
ctl "$password" tenant create --name Bad \
	--slug 0badc0de-0000-4000-8000-000000000000 --admin-email "bad-$email" \
	--admin-password-stdin
exits 1 && says "invalid slug"
check "slug shaped like a UUID: exit 1"
ctl "short" tenant create --name Weak --slug "weak-$suffix" \
	--admin-email "weak-$email" --admin-password-stdin
exits 1 && says "12 to 128"
check "weak password: exit 1"
ctl "" tenant create --name Empty --slug "empty-$suffix" \
	--admin-email "empty-$email" --admin-password-stdin
exits 1 && says "no password"
check "empty password: exit 1"
ctl "$password" tenant create --name Mail --slug "mail-$suffix" \
	--admin-email "no-at-sign.example.test" --admin-password-stdin
exits 1 && says "invalid email"
check "bad email: exit 1"
ctl "wrong password, long enough" tenant create --name Takeover \
	--slug "takeover-$suffix" --admin-email "$email" --admin-password-stdin
exits 1 && says "keeps its own password"
check "existing user, wrong password: exit 1 (no takeover)"
ctl "$password" tenant create --name Second --slug "second-$suffix" \
	--admin-email "${email^^}" --admin-password-stdin
exits 0 && is "$work/out" "[j.admin_user_id, j.admin_email].join()" \
	"$admin_id,$email"
check "existing user with its password (email in capitals): same identity"
login "$email" "$password" "second-$suffix"
[[ $status == 200 ]]
check "the existing user signs in to the second tenant"

# --- tenant list ----------------------------------------------------------------

ctl "" tenant list
cp "$work/out" "$work/list.json"
exits 0 && is "$work/list.json" \
	'Array.isArray(j) && j.every((t, i) => i === 0 || j[i - 1].slug < t.slug)' true
check "tenant list: exit 0, a JSON array ordered by slug"
is "$work/list.json" "JSON.stringify(j.find(t => t.slug === '$slug'))" \
	"{\"id\":\"$tenant_id\",\"slug\":\"$slug\",\"name\":\"$name\",\"created_at\":\"$created_at\",\"members\":1}"
check "tenant list: the new tenant with 1 member"
is "$work/list.json" \
	"j.map(t => t.slug).filter(s => s.endsWith('-$suffix')).sort().join()" \
	"$slug,second-$suffix"
check "refused creates left no tenant behind (one transaction each)"

# --- keys ------------------------------------------------------------------------

ctl "" keys list
# shellcheck disable=SC2016 # $1... are the JavaScript replacement's
exits 0 && is "$work/out" 'j.length > 0 && j.every(k =>
	/^k\d{8}T\d{6}Z$/.test(k.kid) && k.has_private_key === true &&
	k.created_at === k.kid.replace(/^k(....)(..)(..)T(..)(..)(..)Z$/,
		"$1-$2-$3T$4:$5:$6Z"))' true
check "keys list: kid, has_private_key, created_at from the kid"
before=$(kids)
k0=${before##* }
[[ $(kid_of "$old_token") == "$k0" ]]
check "the token from before the rotation carries the newest kid"

ctl "" keys rotate
k1=$(json "$work/out" j.kid 2>/dev/null)
exits 0 && [[ $k1 > $k0 ]]
check "keys rotate: exit 0, a new kid after the others"
[[ $(kids) == "$k0 $k1" ]]
check "keys rotate: the new key and the previous one remain"
owner=$(stat -c %U:%G "$keys")
[[ $(stat -c %a:%U:%G "$keys/$k1.key.pem") == "600:$owner" ]] &&
	head -n 1 "$keys/$k1.key.pem" | grep -qx -- "-----BEGIN PRIVATE KEY-----"
check "new private key: PKCS#8, mode 600, the directory's owner"
[[ $(stat -c %a:%U:%G "$keys/$k1.pub.pem") == "644:$owner" ]] &&
	head -n 1 "$keys/$k1.pub.pem" | grep -qx -- "-----BEGIN PUBLIC KEY-----"
check "new public key: SubjectPublicKeyInfo, mode 644, the directory's owner"
! compgen -G "$keys/*.tmp" >/dev/null
check "no temporary files left"

signed_with_new() {
	login "$email" "$password" "$slug"
	[[ -n $token && $(kid_of "$token") == "$k1" ]]
}
eventually signed_with_new
check "a sign-in after the rotation gets a token with the new kid"
k1_token=$token
http GET /api/v1/auth/me "$k1_token"
[[ $status == 200 ]]
check "the new token works"
http GET /api/v1/auth/me "$old_token"
[[ $status == 200 ]]
check "the token from before the rotation still works"
[[ $(jwks_kids) == "$k0 $k1" ]]
check "JWKS lists both kids"

ctl "" keys rotate
k2=$(json "$work/out" j.kid 2>/dev/null)
exits 0 && [[ $k2 > $k1 ]] && is "$work/out" "j.removed.join()" "$k0" &&
	[[ $(kids) == "$k1 $k2" ]]
check "second rotate: prunes the oldest"
[[ ! -e $keys/$k0.key.pem && ! -e $keys/$k0.pub.pem ]]
check "... both of its files"
http GET /api/v1/auth/me "$k1_token"
[[ $status == 200 ]]
check "the previous key's token still works"

ctl "" keys rotate
k3=$(json "$work/out" j.kid 2>/dev/null)
exits 0 && [[ $k3 > $k2 ]] && is "$work/out" "j.removed.join()" "$k1" &&
	[[ $(kids) == "$k2 $k3" ]]
check "third rotate: prunes the next oldest"
jwks_follows() { [[ $(jwks_kids) == "$k2 $k3" ]]; }
eventually jwks_follows
check "JWKS follows: only the two kept kids"
http GET /api/v1/auth/me "$old_token"
[[ $status == 401 ]]
check "a token whose key was removed is refused"

ctl "" keys rotate --keep 3
exits 0 && is "$work/out" "j.removed.length" 0 && [[ $(kids | wc -w) == 3 ]]
check "keys rotate --keep 3: nothing removed"

printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))
