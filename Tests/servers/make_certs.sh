#!/bin/sh
# Makes a throwaway CA and server certificates for intro's TLS tests, in $1:
#   ca.pem / ca.key          the test CA
#   server.pem / server.key  for 127.0.0.1 and localhost, signed by the CA
#   wronghost.pem / .key     for wrong.example only, signed by the CA
#   other-ca.pem             a second CA that signed nothing used here
set -eu
dir=$1
mkdir -p "$dir"
cd "$dir"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem -days 2 \
  -subj "/CN=intro test CA" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout other-ca.key -out other-ca.pem -days 2 \
  -subj "/CN=intro other CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
issue() {
  name=$1; san=$2
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$name.key" -out "$name.csr" \
    -subj "/CN=$name" 2>/dev/null
  printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$san" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out "$name.pem" -days 2 -extfile "$name.ext" 2>/dev/null
}
issue server "IP:127.0.0.1,DNS:localhost"
issue wronghost "DNS:wrong.example"
