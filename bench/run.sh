#!/usr/bin/env bash
# Builds the benchmarks and runs them all (about 18 minutes), writing bench/RESULTS.md: the JMH
# kernel benchmarks, the grammar's token masks against a decode step, the engine's decode throughput with 1, 4 and 16 streams, and the Qwen2-VL image path on a random-weight
# Qwen2-VL-2B written once to $IRIS_BENCH_MODEL (default /tmp/iris-bench/qwen2-vl-2b, about 4.4 GB).
# Usage: bench/run.sh [threads]   (default: all cores)
set -euo pipefail
cd "$(dirname "$0")/.."
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
threads=${1:-$(nproc)}
model=${IRIS_BENCH_MODEL:-/tmp/iris-bench/qwen2-vl-2b}
./mvnw -B -ntp -q package -DskipTests -pl bench -am
java=("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED
  -cp "bench/target/iris-bench-0.1.0-SNAPSHOT.jar:bench/target/lib/*")
"${java[@]}" dev.iris.bench.BenchMain bench/RESULTS.md "$threads"
"${java[@]}" dev.iris.bench.GrammarBench bench/RESULTS.md "$threads"
if [ ! -f "$model/config.json" ]; then
  "${java[@]}" dev.iris.bench.RandomModelWriter bench/configs/qwen2-vl-2b-instruct.config.json "$model"
fi
"${java[@]}" -Xmx4g -Diris.cpu.threads="$threads" dev.iris.bench.ThroughputBench "$model" bench/RESULTS.md
"${java[@]}" -Xmx4g -Diris.cpu.threads="$threads" dev.iris.bench.VisionBench "$model" bench/RESULTS.md
