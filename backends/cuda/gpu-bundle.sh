#!/usr/bin/env bash
# Builds what gpu-check.sh needs on a GPU machine that has no Java, into
# backends/cuda/target/gpu-bundle (under 64 MiB, to travel with the working tree):
#   jre.tar.gz  a jlinked Java 25 runtime with the JDK modules Iris uses
#   lib/        the check's jars (Iris, its libraries, the JavaCPP CUDA presets with their JNI glue)
# OpenBLAS's natives stay behind: the CPU backend, used there as the reference, falls back to
# its Vector API kernels without them.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
OUT=$ROOT/backends/cuda/target/gpu-bundle
cd "$ROOT"
./mvnw -B -q -ntp -pl bench -am install -DskipTests
./mvnw -B -q -ntp -pl bench dependency:build-classpath -Dmdep.includeScope=runtime \
  -Dmdep.outputFile="$ROOT/bench/target/classpath.txt"
rm -rf "$OUT"
mkdir -p "$OUT/lib"
cp bench/target/iris-bench-*.jar "$OUT/lib/"
tr ':' '\n' < bench/target/classpath.txt \
  | grep -v -e 'openblas-[^/]*-linux-x86_64\.jar$' -e '/jmh-' -e '/jopt-simple-' -e '/commons-math3-' -e '/junit-' -e '/opentest4j-' -e '/apiguardian-' \
  | while read -r jar; do cp "$jar" "$OUT/lib/"; done
"$JAVA_HOME/bin/jlink" --add-modules java.base,java.desktop,java.logging,java.net.http,jdk.incubator.vector,jdk.unsupported \
  --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$OUT/jre"
tar -C "$OUT" -czf "$OUT/jre.tar.gz" jre
rm -rf "$OUT/jre"
du -sh "$OUT"
