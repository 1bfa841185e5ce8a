#!/usr/bin/env bash
# Creates the first RS256 signing key pair in a JWT keys directory, unless
# it already holds a public key. Used by scripts/stack.sh and
# docker/entrypoint.sh. The key id (kid) is "k" + the UTC time of creation:
#   <kid>.key.pem  PKCS#8 private key, mode 600 (isms-auth signs with it)
#   <kid>.pub.pem  SubjectPublicKeyInfo public key (every service verifies)
# Usage: scripts/jwt-keys.sh DIR
set -euo pipefail

dir=${1:?usage: $0 DIR}
mkdir -p "$dir"
if compgen -G "$dir/*.pub.pem" >/dev/null; then
	exit 0
fi

kid=k$(date -u +%Y%m%dT%H%M%SZ)
umask 077
openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	-out "$dir/$kid.key.pem.tmp"
openssl pkey -in "$dir/$kid.key.pem.tmp" -pubout -out "$dir/$kid.pub.pem.tmp"
chmod 644 "$dir/$kid.pub.pem.tmp"
mv "$dir/$kid.key.pem.tmp" "$dir/$kid.key.pem"
mv "$dir/$kid.pub.pem.tmp" "$dir/$kid.pub.pem"
echo "jwt-keys: created key $kid in $dir"
