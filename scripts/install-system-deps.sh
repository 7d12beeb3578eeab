#!/usr/bin/env bash
# Installs the system packages the project needs, from Debian's packages, when they are missing:
# nats-server (tests and demo run a real one), protoc (the plugin is also tested under protoc),
# promtool (from prometheus: the tests check the metrics' names and format with it) and ab (from
# apache2-utils: the HTTP gateway benchmark runs the seed's ab command) and chromium (the pipeline
# status page is tested in headless Chromium through playwright-core).
set -euo pipefail

missing=()
command -v nats-server >/dev/null 2>&1 || missing+=(nats-server)
command -v protoc >/dev/null 2>&1 || missing+=(protobuf-compiler)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v ab >/dev/null 2>&1 || missing+=(apache2-utils)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing ${missing[*]} with apt-get" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${missing[@]}" >/dev/null
