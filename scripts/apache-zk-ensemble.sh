# shellcheck shell=bash disable=SC2154  # $dir, $servers, ... are the caller's
# The ensemble commands of scripts/apache-zk.sh (sourced by it, not run on its own): a local
# ensemble of Apache ZooKeeper servers (QuorumPeerMain) on 127.0.0.1. See apache-zk.sh for the
# usage and the layout. Uses the caller's $dir, $servers, $port_base, $tick_ms, $only and its
# fourlw_at and classpath functions.

member_dir() { echo "$dir/server-$1"; }

# The ids laid out under $dir, in order.
member_ids() {
    local d
    for d in "$dir"/server-*; do
        [ -f "$d/conf/zoo.cfg" ] && echo "${d##*/server-}"
    done | sort -n
}

client_port_of() { sed -n 's/^clientPort=//p' "$(member_dir "$1")/conf/zoo.cfg"; }

# The pid of member $1 if its java process is alive (a recycled pid must name its zoo.cfg).
member_pid() {
    local d pid
    d=$(member_dir "$1")
    [ -f "$d/zookeeper.pid" ] || return 1
    pid=$(cat "$d/zookeeper.pid")
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$d/conf/zoo.cfg" || return 1
    echo "$pid"
}

# `leader`, `follower`, ... from `srvr`, or nothing while member $1 does not serve.
member_mode() { fourlw_at "$(client_port_of "$1")" srvr | sed -n 's/^Mode: //p'; }

# Writes member $1's zoo.cfg and myid; keeps its data.
write_member() {
    local id=$1 d k
    d=$(member_dir "$id")
    mkdir -p "$d/conf" "$d/data"
    echo "$id" >"$d/data/myid"
    {
        echo "# Written by apache-zk.sh ensemble-start: server $id of $servers."
        echo "tickTime=$tick_ms"
        echo "initLimit=10"
        echo "syncLimit=5"
        echo "dataDir=$d/data"
        echo "clientPort=$((port_base + id - 1))"
        echo "clientPortAddress=127.0.0.1"
        echo "4lw.commands.whitelist=*"
        echo "admin.enableServer=false"
        for k in $(seq 1 "$servers"); do
            echo "server.$k=127.0.0.1:$((port_base + 100 + k - 1)):$((port_base + 200 + k - 1))"
        done
    } >"$d/conf/zoo.cfg"
}

start_member() {
    local id=$1 d cp heap=()
    d=$(member_dir "$id")
    cp=$(classpath "$d")
    [ -z "${APACHE_ZK_HEAP:-}" ] || heap=("-Xmx$APACHE_ZK_HEAP")
    echo "--- apache-zk.sh: starting server $id ---" >>"$d/zookeeper.out"
    nohup java "${heap[@]}" -Dzookeeper.log.dir="$d" -Dzookeeper.root.logger=INFO,CONSOLE \
        -cp "$cp" org.apache.zookeeper.server.quorum.QuorumPeerMain "$d/conf/zoo.cfg" \
        >>"$d/zookeeper.out" 2>&1 </dev/null &
    echo $! >"$d/zookeeper.pid"
}

ensemble_start() {
    command -v java >/dev/null || { echo "apache-zk.sh: java not found" >&2; exit 1; }
    if [ "$servers" -lt 1 ] || [ "$servers" -gt 99 ]; then
        echo "apache-zk.sh: --servers must be 1 to 99" >&2
        exit 2
    fi
    local id started=() pid mode
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [ -n "$only" ] || for id in $(seq 1 "$servers"); do write_member "$id"; done
    for id in ${only:-$(seq 1 "$servers")}; do
        [ -f "$(member_dir "$id")/conf/zoo.cfg" ] || { echo "apache-zk.sh: no server $id in $dir" >&2; exit 1; }
        if pid=$(member_pid "$id"); then
            echo "apache-zk.sh: server $id already running (pid $pid)" >&2
        else
            start_member "$id"
            started+=("$id")
            echo "apache-zk.sh: server $id started, pid $(cat "$(member_dir "$id")/zookeeper.pid")" >&2
        fi
    done
    for _ in $(seq 1 600); do
        local waiting=0
        for id in "${started[@]}"; do
            if ! member_pid "$id" >/dev/null; then
                echo "apache-zk.sh: server $id exited; log follows" >&2
                tail -n 40 "$(member_dir "$id")/zookeeper.out" >&2
                exit 1
            fi
            mode=$(member_mode "$id")
            case $mode in leader | follower | observer) ;; *) waiting=1 ;; esac
        done
        if [ $waiting = 0 ]; then ensemble_status || true; return 0; fi
        sleep 0.1
    done
    echo "apache-zk.sh: servers ${started[*]} not serving after 60 s; see $dir/server-*/zookeeper.out" >&2
    exit 1
}

# One line per member and the connect string; exit 1 unless every member serves.
ensemble_status() {
    local id pid mode all_up=0 addrs=()
    for id in $(member_ids); do
        addrs+=("127.0.0.1:$(client_port_of "$id")")
        if pid=$(member_pid "$id"); then
            mode=$(member_mode "$id")
            echo "server $id  127.0.0.1:$(client_port_of "$id")  pid $pid  ${mode:-not serving}"
            [ -n "$mode" ] || all_up=1
        else
            echo "server $id  127.0.0.1:$(client_port_of "$id")  stopped"
            all_up=1
        fi
    done
    [ ${#addrs[@]} -gt 0 ] || { echo "apache-zk.sh: no ensemble in $dir" >&2; return 1; }
    local IFS=,
    echo "connect string: ${addrs[*]}"
    return $all_up
}

ensemble_stop() {
    local id pid
    for id in $(member_ids); do
        if pid=$(member_pid "$id"); then
            kill "$pid"
            for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
            echo "server $id: stopped (pid $pid)"
        else
            echo "server $id: not running"
        fi
        rm -f "$(member_dir "$id")/zookeeper.pid"
    done
}
