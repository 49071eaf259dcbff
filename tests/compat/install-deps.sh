#!/usr/bin/env bash
# Installs what tests/compat needs from Debian's packages, and only what is missing:
#   zookeeper        Apache ZooKeeper 3.8 (jars, zkCli.sh), the reference server and CLI
#   python3-kazoo    kazoo for the pytest suite
#   python3-pytest   pytest
# The suites run under /usr/bin/python3 (Debian's interpreter, where these packages import),
# not whatever python3 is first on PATH (a pyenv one, for example, would not see them).
# It never installs or starts the `zookeeperd` service.
set -euo pipefail

PY=/usr/bin/python3
pkgs=(zookeeper python3-kazoo python3-pytest)
missing=()
for p in "${pkgs[@]}"; do
    if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        echo "install-deps: $p already installed ($(dpkg-query -W -f='${Version}' "$p"))"
    else
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${missing[*]} with apt-get"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! "$PY" -c 'import kazoo.client, pytest' 2>/dev/null; then
    echo "install-deps: kazoo or pytest does not import under $PY" >&2
    exit 1
fi
echo "install-deps: $PY $("$PY" -c 'import sys; print(sys.version.split()[0])'), kazoo $("$PY" -c 'import kazoo.version as v; print(v.__version__)'), pytest $("$PY" -c 'import pytest; print(pytest.__version__)')"
command -v java >/dev/null || { echo "install-deps: java missing after install" >&2; exit 1; }
[ -x /usr/share/zookeeper/bin/zkCli.sh ] || { echo "install-deps: zkCli.sh missing" >&2; exit 1; }
echo "install-deps: java $(java -version 2>&1 | head -n1), zkCli at /usr/share/zookeeper/bin/zkCli.sh"
