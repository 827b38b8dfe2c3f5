#!/usr/bin/env bash
# Single-node Apache Kafka (KRaft, combined broker+controller) on 127.0.0.1:9092
# for development and CI integration tests.
#
#   scripts/services/kafka.sh up       start it (no-op if already serving)
#   scripts/services/kafka.sh down     stop it, only if this script started it
#   scripts/services/kafka.sh status   print whether it runs (exit 0 = running, 3 = not)
#
# Why from Maven jars: there is no Docker engine and no access to the Apache
# download site here, but Maven Central is reachable, and the broker is just a
# set of jars (scripts/kafka/pom.xml). Maven resolves them into ~/.m2 once; we
# keep the resolved classpath in a file, so later runs start without Maven and
# without the network.
#
# State (outside the repo, so it survives `git clean` and is never committed):
#   ${ENGINE_SERVICES_HOME:-$HOME/.cache/engine-services}/kafka/
#     classpath.txt, classpath.key   resolved jar paths + hash of the POM they came from
#     server.properties, log4j2.properties
#     data-<version>/                log.dirs (KRaft metadata log included), formatted once
#     logs/kafka.out                 broker stdout/stderr of the current run (.prev = last run)
#     logs/maven.log                 output of the last Maven resolution
#     kafka.pid                      pid of the broker this script started
#
# Environment overrides: ENGINE_SERVICES_HOME, KAFKA_HEAP_OPTS, KAFKA_JVM_OPTS, KAFKA_START_TIMEOUT
# (seconds, default 90), KAFKA_STOP_TIMEOUT (seconds, default 60), JAVA_HOME.
set -Eeuo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
POM="$REPO_ROOT/scripts/kafka/pom.xml"
PROBE_SRC="$REPO_ROOT/scripts/kafka/KafkaProbe.java"

STATE_HOME="${ENGINE_SERVICES_HOME:-$HOME/.cache/engine-services}"
KDIR="$STATE_HOME/kafka"
# The version to run is the <kafka.version> property of the POM.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM" | head -1)"
# Per version: a data dir formatted by one Kafka version may not start on
# another (metadata.version), so changing the POM's version starts clean.
DATA_DIR="$KDIR/data-${KAFKA_VERSION:-unknown}"
LOG_DIR="$KDIR/logs"
OUT_LOG="$LOG_DIR/kafka.out"
PID_FILE="$KDIR/kafka.pid"
CP_FILE="$KDIR/classpath.txt"
CP_KEY_FILE="$KDIR/classpath.key"
CONFIG="$KDIR/server.properties"
LOG4J_CONFIG="$KDIR/log4j2.properties"

HOST=127.0.0.1
PORT=9092
CONTROLLER_PORT=9093
START_TIMEOUT="${KAFKA_START_TIMEOUT:-90}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-60}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
# Tuned for a short-lived test broker on 2 cores: the serial GC suits the
# small heap, and C1-only JIT (TieredStopAtLevel=1) keeps C2 compiler threads
# from competing with the tests for the CPU. Measured here: start-to-ready
# 3.6 s vs 4.9 s (mean of 4), and no slower on a 30k-message kafkajs
# produce/consume run. Override with KAFKA_JVM_OPTS for long or heavy runs.
JVM_OPTS="${KAFKA_JVM_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1}"

# Printed by KafkaRaftServer once the broker is unfenced and its listeners
# accept requests (BrokerServer.startup waits for both before returning).
READY_PATTERN='Kafka Server started'

JAVA="java"
if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then JAVA="$JAVA_HOME/bin/java"; fi

say() { echo "[services] kafka: $*"; }
die() { echo "[services] kafka: ERROR: $*" >&2; exit 1; }
# A command failing outside the handled paths still says where, instead of a
# bare exit 1 (set -E makes the trap apply inside functions too).
on_err() { echo "[services] kafka: ERROR: unexpected failure (exit $1) at line $2: $3" >&2; exit "$1"; }
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

port_open() {
  # A TCP connect only: the cheap "is anything there" test. Readiness of the
  # broker itself is judged from its log (see wait_ready) or KafkaProbe.
  timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null
}

# Pid of the broker we started, if that process is still alive and still is
# our broker (guards against a stale pid file whose pid got reused).
our_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $CONFIG" || return 1
  echo "$pid"
}

log_tail() {
  if [[ -f "$OUT_LOG" ]]; then
    echo "[services] kafka: ---- last 40 lines of $OUT_LOG ----" >&2
    tail -n 40 "$OUT_LOG" >&2 || true
    echo "[services] kafka: ---- end of log ----" >&2
  fi
}

check_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "java not found (install a JDK >= 17 or set JAVA_HOME)"
  local spec
  spec="$("$JAVA" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  [[ "${spec%%.*}" =~ ^[0-9]+$ && "${spec%%.*}" -ge 17 ]] \
    || die "Kafka $KAFKA_VERSION needs Java >= 17, found '$spec' ($JAVA)"
}

# Resolve the broker classpath with Maven, unless the cached one still matches
# the POM and all its jars are still in ~/.m2.
ensure_classpath() {
  local key
  key="$(sha256sum "$POM" | cut -d' ' -f1)"
  if [[ -f "$CP_FILE" && -f "$CP_KEY_FILE" && "$(cat "$CP_KEY_FILE")" == "$key" ]]; then
    local ok=1 jar jars=()
    # `|| true`: the file has no trailing newline, so read reports EOF (1).
    IFS=':' read -r -a jars <"$CP_FILE" || true
    for jar in "${jars[@]}"; do [[ -f "$jar" ]] || { ok=0; break; }; done
    if [[ $ok == 1 && ${#jars[@]} -gt 0 ]]; then return 0; fi
  fi
  command -v mvn >/dev/null 2>&1 || die "mvn not found: Maven is needed once to fetch the Kafka jars"
  say "resolving Kafka $KAFKA_VERSION jars with Maven (once; cached in ~/.m2)"
  # Full plugin coordinates: no plugin-prefix lookup, so -o works on a warm ~/.m2.
  local goal="org.apache.maven.plugins:maven-dependency-plugin:3.6.1:build-classpath"
  local args=(-B -q -f "$POM" "$goal" "-Dmdep.outputFile=$CP_FILE.tmp" -Dmdep.includeScope=runtime)
  if ! mvn -o "${args[@]}" >"$LOG_DIR/maven.log" 2>&1; then
    # Offline failed: something is not in ~/.m2 yet, so fetch it from Maven Central.
    mvn "${args[@]}" >"$LOG_DIR/maven.log" 2>&1 || {
      tail -n 30 "$LOG_DIR/maven.log" >&2
      die "Maven could not resolve $POM (full output: $LOG_DIR/maven.log)"
    }
  fi
  [[ -s "$CP_FILE.tmp" ]] || die "Maven wrote an empty classpath (see $LOG_DIR/maven.log)"
  mv "$CP_FILE.tmp" "$CP_FILE"
  echo "$key" >"$CP_KEY_FILE"
}

write_config() {
  # Rewritten on every start so that edits here take effect; the data dir
  # (and its cluster id) is what persists.
  cat >"$CONFIG" <<EOF
# Generated by scripts/services/kafka.sh: single-node KRaft broker for tests.
process.roles=broker,controller
node.id=1
# Static quorum of one voter: needs no --standalone/dynamic-quorum bootstrap
# and behaves the same on every KRaft version.
controller.quorum.voters=1@$HOST:$CONTROLLER_PORT
listeners=PLAINTEXT://$HOST:$PORT,CONTROLLER://$HOST:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://$HOST:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA_DIR

# One broker: every internal topic must live with a replication factor of 1.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions: creating 50 of each on first use only slows tests.
offsets.topic.num.partitions=3
transaction.state.log.num.partitions=3
share.coordinator.state.topic.num.partitions=3

# Tests want groups to form at once and topics to appear on first use.
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
delete.topic.enable=true
num.partitions=3

# Small footprint on a 2-core machine.
num.network.threads=2
num.io.threads=4
log.segment.bytes=16777216
log.retention.hours=24
log.retention.check.interval.ms=60000
EOF
  cat >"$LOG4J_CONFIG" <<'EOF'
# Generated by scripts/services/kafka.sh: everything to stdout (-> logs/kafka.out).
status = warn
appender.out.type = Console
appender.out.name = STDOUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = STDOUT
# Per-request and per-partition chatter is of no use in test runs.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
logger.clients.name = org.apache.kafka.clients
logger.clients.level = WARN
# Each component dumps its whole config at INFO (~2000 lines per start); the
# config is in server.properties. Unused/unknown keys are still WARNed.
logger.config.name = org.apache.kafka.common.config.AbstractConfig
logger.config.level = WARN
EOF
}

# Short-lived JVMs (format, probe): C1 only and the serial GC start fastest.
QUICK_JVM=(-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)

format_storage() {
  # meta.properties in the (single) log dir means it is formatted: never
  # re-format, that would mint a new cluster id over existing data.
  if [[ -f "$DATA_DIR/meta.properties" ]]; then return 0; fi
  mkdir -p "$DATA_DIR"
  # A cluster id is 16 random bytes, URL-safe base64 without padding (what
  # `kafka-storage.sh random-uuid` prints); made here to save a JVM start.
  local cluster_id
  cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  say "formatting storage in $DATA_DIR (cluster id $cluster_id)"
  "$JAVA" "${QUICK_JVM[@]}" -Xmx256m "-Dlog4j2.configurationFile=$LOG4J_CONFIG" \
    -cp "$(cat "$CP_FILE")" kafka.tools.StorageTool \
    format -t "$cluster_id" -c "$CONFIG" >>"$LOG_DIR/format.log" 2>&1 || {
      tail -n 30 "$LOG_DIR/format.log" >&2
      die "storage format failed (see $LOG_DIR/format.log)"
    }
}

probe() {
  # Real Metadata request through kafka-clients; used when port 9092 is held by
  # a process this script did not start.
  "$JAVA" "${QUICK_JVM[@]}" -Xmx128m -Dlog4j2.level=OFF -cp "$(cat "$CP_FILE")" \
    "$PROBE_SRC" "$HOST:$PORT" "${1:-10000}"
}

wait_ready() {
  local pid="$1" deadline=$((SECONDS + START_TIMEOUT))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      log_tail
      die "broker process $pid exited during startup"
    fi
    if grep -q "$READY_PATTERN" "$OUT_LOG" 2>/dev/null && port_open "$HOST" "$PORT"; then
      return 0
    fi
    sleep 0.5
  done
  log_tail
  die "broker (pid $pid) not ready on $HOST:$PORT after ${START_TIMEOUT}s; it is left running, stop it with: $0 down"
}

cmd_up() {
  local pid
  if pid="$(our_pid)"; then
    if port_open "$HOST" "$PORT" && grep -q "$READY_PATTERN" "$OUT_LOG" 2>/dev/null; then
      say "already running (pid $pid) on $HOST:$PORT"
      return 0
    fi
    # Started by an earlier `up` that has not finished (or was interrupted): wait for it.
    say "broker (pid $pid) is starting; waiting up to ${START_TIMEOUT}s"
    local t0=$SECONDS
    wait_ready "$pid"
    say "ready on $HOST:$PORT (pid $pid, waited $((SECONDS - t0))s)"
    return 0
  fi
  rm -f "$PID_FILE"

  if port_open "$HOST" "$PORT"; then
    # Something else owns the port. If it is a Kafka that serves, use it.
    ensure_classpath
    check_java
    local msg
    if msg="$(probe 5000)"; then
      say "$msg"
      say "port $PORT is served by a Kafka not started by this script: using it as is"
      return 0
    fi
    echo "$msg" >&2
    ss -ltnp "sport = :$PORT" >&2 2>/dev/null || true
    die "port $HOST:$PORT is in use by something that does not answer as Kafka"
  fi
  if port_open "$HOST" "$CONTROLLER_PORT"; then
    ss -ltnp "sport = :$CONTROLLER_PORT" >&2 2>/dev/null || true
    die "controller port $HOST:$CONTROLLER_PORT is already in use by another process"
  fi

  check_java
  ensure_classpath
  write_config
  format_storage

  [[ -f "$OUT_LOG" ]] && mv -f "$OUT_LOG" "$OUT_LOG.prev"
  say "starting Kafka $KAFKA_VERSION on $HOST:$PORT (state: $KDIR)"
  local t0=$SECONDS
  # setsid: own session, so the broker outlives this shell and is not hit by
  # a Ctrl-C or hangup aimed at the caller. In a non-interactive shell the
  # background child is no group leader, so setsid execs in place and $! is
  # the JVM's pid. 9>&- keeps the lock fd (see main) out of the broker, or
  # the lock would stay held as long as the broker runs.
  # shellcheck disable=SC2086 # HEAP_OPTS and JVM_OPTS are lists of JVM flags
  setsid "$JAVA" -server $HEAP_OPTS $JVM_OPTS -Xshare:auto \
    -Djava.awt.headless=true \
    "-Dlog4j2.configurationFile=$LOG4J_CONFIG" \
    -cp "$(cat "$CP_FILE")" \
    kafka.Kafka "$CONFIG" </dev/null >"$OUT_LOG" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$PID_FILE"
  wait_ready "$pid"
  say "ready on $HOST:$PORT (pid $pid, started in $((SECONDS - t0))s)"
}

cmd_down() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$PID_FILE"
    if port_open "$HOST" "$PORT"; then
      say "not started by this script; leaving whatever serves $HOST:$PORT alone"
    else
      say "not running"
    fi
    return 0
  fi
  say "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      say "still running after ${STOP_TIMEOUT}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      break
    fi
    sleep 0.5
  done
  rm -f "$PID_FILE"
  say "stopped"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    if port_open "$HOST" "$PORT" && grep -q "$READY_PATTERN" "$OUT_LOG" 2>/dev/null; then
      echo "running (pid $pid) on $HOST:$PORT, Kafka $KAFKA_VERSION, state $KDIR"
      return 0
    fi
    echo "starting (pid $pid), not serving on $HOST:$PORT yet"
    return 3
  fi
  if port_open "$HOST" "$PORT"; then
    echo "running on $HOST:$PORT, not started by this script"
    return 0
  fi
  echo "not running"
  return 3
}

main() {
  local cmd="${1:-}"
  [[ -n "$KAFKA_VERSION" ]] || die "no <kafka.version> in $POM"
  case "$cmd" in
    up | down | status) ;;
    *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
  esac
  mkdir -p "$KDIR" "$LOG_DIR"
  # One up/down at a time (parallel CI steps, a second terminal): the second
  # caller waits, then finds the broker running or stopped.
  exec 9>"$KDIR/.lock"
  if [[ "$cmd" != status ]]; then
    flock -w 300 9 || die "another kafka.sh up/down has held $KDIR/.lock for 5 minutes"
  fi
  if [[ "$cmd" == status ]]; then
    # Exit 3 = not running is an answer, not an error: keep it off the ERR trap.
    cmd_status || exit $?
  else
    "cmd_$cmd"
  fi
}

main "$@"
