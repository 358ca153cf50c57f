#!/usr/bin/env bash
# A local, single-node Apache Kafka broker (KRaft) for development and tests, without Docker.
#
#   kafka-local.sh start    fetch (first time only), format (first time only) and start; a broker
#                           already answering on the port is reused and left alone
#   kafka-local.sh stop     stop the broker this script started (SIGTERM, then SIGKILL after 30 s)
#   kafka-local.sh status   exit 0 when a broker answers metadata requests on the port
#   kafka-local.sh reset    stop, then delete the log directory (the next start formats anew)
#
# The broker's jars are resolved from Maven Central by Maven (pom.xml beside this file) into a
# cache outside the repository; once it is warm nothing is downloaded.
#
# Environment:
#   KAFKA_LOCAL_HOME  cache, data and logs [${XDG_CACHE_HOME:-$HOME/.cache}/jifen/kafka-local]
#   KAFKA_LOCAL_PORT  client port on 127.0.0.1 [9092]; the controller listens on port + 1
#   KAFKA_LOCAL_HEAP  JVM heap [512m]
#   KAFKA_LOCAL_WAIT  seconds to wait for readiness [90]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
kafka_version="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")"
home="${KAFKA_LOCAL_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/jifen/kafka-local}"
port="${KAFKA_LOCAL_PORT:-9092}"
controller_port="$((port + 1))"
heap="${KAFKA_LOCAL_HEAP:-512m}"
wait_s="${KAFKA_LOCAL_WAIT:-90}"

m2="$home/m2"
classpath_file="$home/classpath-$kafka_version.txt"
run_dir="$home/run-$port"
data_dir="$run_dir/data"
logs_dir="$run_dir/logs"
pid_file="$run_dir/kafka.pid"
props="$run_dir/server.properties"

log() { printf 'kafka-local: %s\n' "$*" >&2; }

ready() {
  node "$here/ready.js" "127.0.0.1:$port" "${1:-0}" 2>/dev/null
}

our_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null && grep -q 'kafka.Kafka' "/proc/$pid/cmdline" 2>/dev/null &&
    echo "$pid"
}

resolve_classpath() {
  if [[ -s "$classpath_file" ]]; then
    local missing=0 jar
    while IFS= read -r jar; do [[ -f "$jar" ]] || missing=1; done < <(tr ':' '\n' <"$classpath_file")
    [[ $missing -eq 0 ]] && return 0
  fi
  command -v mvn >/dev/null || { log "Maven (mvn) is needed once to fetch Kafka $kafka_version"; exit 1; }
  command -v java >/dev/null || { log "Java 17+ is needed to run Kafka"; exit 1; }
  log "resolving Apache Kafka $kafka_version from Maven Central into $m2 (first time only)"
  mkdir -p "$home"
  mvn -q -B -f "$here/pom.xml" dependency:build-classpath \
    -Dmaven.repo.local="$m2" -Dmdep.outputFile="$classpath_file.tmp" >"$home/maven.log" 2>&1 ||
    { log "Maven failed; see $home/maven.log"; tail -20 "$home/maven.log" >&2; exit 1; }
  mv "$classpath_file.tmp" "$classpath_file"
}

write_config() {
  mkdir -p "$data_dir" "$logs_dir"
  cat >"$props" <<PROPS
# Written by deploy/kafka-local/kafka-local.sh: one node that is both broker and controller.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data_dir
# A single node: internal topics cannot have more than one replica, or consumers never find
# a group coordinator and transactions never start.
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
default.replication.factor=1
min.insync.replicas=1
# Every group join would otherwise wait 3 s for more members.
group.initial.rebalance.delay.ms=0
# Topics are created on purpose, with their settings (CONTRACT.md section 2).
auto.create.topics.enable=false
delete.topic.enable=true
num.partitions=3
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=104857600
PROPS
  cat >"$run_dir/log4j2.yaml" <<LOG
Configuration:
  Appenders:
    RollingFile:
      name: File
      fileName: "$logs_dir/server.log"
      filePattern: "$logs_dir/server.log.%i"
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
      SizeBasedTriggeringPolicy:
        size: 20MB
      DefaultRolloverStrategy:
        max: 3
  Loggers:
    Root:
      level: INFO
      AppenderRef:
        - ref: File
    Logger:
      - name: kafka.request.logger
        level: WARN
      - name: org.apache.kafka.controller
        level: WARN
      - name: state.change.logger
        level: WARN
LOG
}

java_run() {
  java -Xms"$heap" -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$run_dir/log4j2.yaml" -Dkafka.logs.dir="$logs_dir" \
    -cp "$(cat "$classpath_file")" "$@"
}

format_storage() {
  [[ -f "$data_dir/meta.properties" ]] && return 0
  local cluster_id
  cluster_id="$(java_run kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  log "formatting $data_dir (cluster $cluster_id)"
  java_run kafka.tools.StorageTool format -t "$cluster_id" -c "$props" --standalone >"$logs_dir/format.log" 2>&1 ||
    { log "formatting failed; see $logs_dir/format.log"; tail -20 "$logs_dir/format.log" >&2; exit 1; }
}

start() {
  # Concurrent starts (several test runs, npm start beside npm test) wait for each other here,
  # then find the broker the first one started.
  mkdir -p "$home"
  exec 9>"$home/start-$port.lock"
  flock 9
  if ready; then
    log "a broker already answers on 127.0.0.1:$port; reusing it"
    return 0
  fi
  if pid="$(our_pid)"; then
    log "broker (pid $pid) is starting; waiting for it"
  else
    resolve_classpath
    write_config
    format_storage
    log "starting Apache Kafka $kafka_version on 127.0.0.1:$port (logs: $logs_dir)"
    # setsid: the broker outlives the shell that started it and ignores its terminal's Ctrl-C;
    # `stop` ends it. 9>&-: the broker must not inherit the start lock, or every later `start`
    # would wait on it for as long as the broker runs.
    setsid bash -c "exec java -Xms$heap -Xmx$heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -Djava.awt.headless=true -Dlog4j2.configurationFile='$run_dir/log4j2.yaml' \
      -Dkafka.logs.dir='$logs_dir' -cp '$(cat "$classpath_file")' kafka.Kafka '$props'" \
      >"$logs_dir/stdout.log" 2>&1 </dev/null 9>&- &
    echo $! >"$pid_file"
  fi
  local started=$SECONDS
  until ready 2; do
    if ! our_pid >/dev/null; then
      log "the broker exited while starting; last lines of $logs_dir/server.log:"
      tail -30 "$logs_dir/server.log" "$logs_dir/stdout.log" >&2 2>/dev/null || true
      exit 1
    fi
    if ((SECONDS - started > wait_s)); then
      log "the broker did not answer within ${wait_s}s; see $logs_dir/server.log"
      exit 1
    fi
    sleep 0.5
  done
  log "ready on 127.0.0.1:$port after $((SECONDS - started))s"
}

stop() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$pid_file"
    log "no broker started by this script is running on port $port"
    return 0
  fi
  log "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file"; log "stopped"; return 0; }
    sleep 0.5
  done
  log "broker did not stop within 30s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pid_file"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if ready; then echo "up"; else echo "down"; exit 1; fi ;;
  reset) stop; rm -rf "$data_dir"; log "deleted $data_dir" ;;
  *) echo "usage: $0 start|stop|status|reset" >&2; exit 2 ;;
esac
