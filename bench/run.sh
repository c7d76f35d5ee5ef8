#!/usr/bin/env bash
# Builds the benchmarks and runs them all (about 7 minutes), writing bench/RESULTS.md.
# Usage: bench/run.sh [threads]   (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
./mvnw -B -ntp -q package -DskipTests -pl bench -am
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
  -cp "bench/target/iris-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*" \
  dev.iris.bench.BenchMain bench/RESULTS.md "${1:-$(nproc)}"
