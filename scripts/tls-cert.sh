#!/usr/bin/env bash
# Makes the local stack's self-signed TLS certificate: DIR/cert.pem and
# DIR/key.pem (ECDSA P-256, mode 600), valid a year for localhost,
# 127.0.0.1 and ::1. Kept while it is valid for more than 30 more days, so
# a client that trusts it (curl --cacert DIR/cert.pem) keeps trusting it.
# It is its own trust anchor: for the local stack and tests only; a real
# deployment terminates TLS with a certificate from a CA.
# Usage: scripts/tls-cert.sh DIR
set -euo pipefail

dir=${1:?usage: tls-cert.sh DIR}
cert=$dir/cert.pem
key=$dir/key.pem

if [[ -s $cert && -s $key ]] &&
	openssl x509 -in "$cert" -noout -checkend $((30 * 24 * 3600)) >/dev/null 2>&1; then
	exit 0
fi
install -d -m 755 "$dir"
(
	umask 077
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
		-nodes -sha256 -days 365 -subj "/CN=localhost/O=ISMS local stack" \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
		-addext "keyUsage=critical,digitalSignature,keyCertSign" \
		-addext "extendedKeyUsage=serverAuth" \
		-keyout "$key.tmp" -out "$cert.tmp" 2>/dev/null
)
mv "$key.tmp" "$key"
mv "$cert.tmp" "$cert"
chmod 644 "$cert"
echo "tls-cert: made a self-signed certificate in $cert ($(openssl x509 -in "$cert" -noout -enddate))"
