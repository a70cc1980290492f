#!/bin/sh
# Makes a private CA and, signed by it, a PKCS12 key store for the broker plus a PKCS12 trust store for the clients,
# with the JDK's keytool only. SecureClusterIT (cli/src/test) makes its test CA with this script. For a staging cluster or a first try;
# in production use your organisation's CA. Usage:
#   STORE_PASSWORD=… deploy/kafka/make-certs.sh OUT_DIR kafka.example.com[,other-name…]
# Writes OUT_DIR/ca.p12 (the CA's key: keep it offline), ca.pem, broker.p12 (ssl.keystore.*) and truststore.p12
# (ssl.truststore.* for brokers and every lipwatch client). DAYS (365) sets the validity, KEYTOOL (keytool) the tool.
set -eu
if [ $# -ne 2 ] || [ -z "${STORE_PASSWORD:-}" ]; then
  echo "usage: STORE_PASSWORD=… $0 OUT_DIR HOST[,HOST…]" >&2
  exit 2
fi
OUT=$1
DAYS="${DAYS:-365}"
PW=$STORE_PASSWORD
SAN=$(printf '%s' "$2" | sed 's/^/dns:/; s/,/,dns:/g')
if [ -e "$OUT/ca.p12" ] || [ -e "$OUT/broker.p12" ] || [ -e "$OUT/truststore.p12" ]; then
  echo "$OUT already holds stores; remove them or pick another directory" >&2
  exit 1
fi
mkdir -p "$OUT"
umask 077
kt() { out=$("${KEYTOOL:-keytool}" "$@" 2>&1) || { echo "keytool $1 failed: $out" >&2; return 1; }; }

kt -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=lipwatch Kafka CA" -ext bc:c -validity "$DAYS" \
  -storetype PKCS12 -keystore "$OUT/ca.p12" -storepass "$PW"
kt -exportcert -rfc -alias ca -keystore "$OUT/ca.p12" -storepass "$PW" -file "$OUT/ca.pem"

first=$(printf '%s' "$2" | cut -d, -f1)
kt -genkeypair -alias broker -keyalg EC -groupname secp256r1 -dname "CN=$first" -validity "$DAYS" \
  -storetype PKCS12 -keystore "$OUT/broker.p12" -storepass "$PW"
kt -certreq -alias broker -keystore "$OUT/broker.p12" -storepass "$PW" -file "$OUT/broker.csr"
kt -gencert -rfc -alias ca -keystore "$OUT/ca.p12" -storepass "$PW" -infile "$OUT/broker.csr" -outfile "$OUT/broker.pem" \
  -validity "$DAYS" -ext "SAN=$SAN" -ext EKU=serverAuth,clientAuth
# the chain: the CA, then the signed certificate under the key's alias
kt -importcert -noprompt -alias ca -file "$OUT/ca.pem" -keystore "$OUT/broker.p12" -storepass "$PW"
kt -importcert -alias broker -file "$OUT/broker.pem" -keystore "$OUT/broker.p12" -storepass "$PW"
kt -importcert -noprompt -alias lipwatch-ca -file "$OUT/ca.pem" -storetype PKCS12 -keystore "$OUT/truststore.p12" -storepass "$PW"
rm -f "$OUT/broker.csr"
echo "wrote $OUT/broker.p12 (SAN $SAN), $OUT/truststore.p12 and the CA ($OUT/ca.p12, $OUT/ca.pem)"
