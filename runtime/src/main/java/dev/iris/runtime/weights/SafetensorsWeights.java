package dev.iris.runtime.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.iris.api.tensor.WeightSource;
import dev.iris.api.tensor.WeightTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights of a Hugging Face model directory: {@code model.safetensors}, or the shards that
 * {@code model.safetensors.index.json} names. Every file is memory-mapped (no 2 GiB limit, no
 * copy) into one shared arena that {@link #close()} releases.
 */
public final class SafetensorsWeights implements WeightSource {

    static final String SINGLE = "model.safetensors";
    static final String INDEX = "model.safetensors.index.json";

    private final Arena arena;
    private final Map<String, WeightTensor> tensors;

    private SafetensorsWeights(Arena arena, Map<String, WeightTensor> tensors) {
        this.arena = arena;
        this.tensors = tensors;
    }

    /**
     * Maps the checkpoint in {@code modelDir}.
     *
     * @throws IOException naming the file and tensor on any inconsistency: no weights file, a
     *                     shard missing, a bad file, a tensor the index names but its shard lacks,
     *                     or one tensor in two files
     */
    public static SafetensorsWeights open(Path modelDir, LoadProgress progress) throws IOException {
        Path index = modelDir.resolve(INDEX);
        Map<String, String> weightMap = null;
        List<Path> files;
        if (Files.exists(index)) {
            weightMap = readIndex(index);
            Set<String> shardNames = new LinkedHashSet<>(weightMap.values());
            files = shardNames.stream().map(modelDir::resolve).toList();
            for (Path f : files) {
                if (!Files.isRegularFile(f)) {
                    throw new IOException(index + " names shard " + f.getFileName() + ", which does not exist");
                }
            }
        } else if (Files.exists(modelDir.resolve(SINGLE))) {
            files = List.of(modelDir.resolve(SINGLE));
        } else {
            throw new IOException(modelDir + ": no " + SINGLE + " and no " + INDEX);
        }

        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
        }
        Arena arena = Arena.ofShared();
        try {
            Map<String, WeightTensor> all = new LinkedHashMap<>();
            Map<String, Path> fileOf = new LinkedHashMap<>();
            long done = 0;
            for (int i = 0; i < files.size(); i++) {
                SafetensorsFile file = SafetensorsFile.open(files.get(i), arena);
                for (Map.Entry<String, WeightTensor> e : file.tensors().entrySet()) {
                    Path other = fileOf.putIfAbsent(e.getKey(), file.path());
                    if (other != null) {
                        throw new IOException("tensor '" + e.getKey() + "' is in both " + other + " and " + file.path());
                    }
                    all.put(e.getKey(), e.getValue());
                }
                done += file.byteSize();
                progress.update(i + 1, files.size(), done, total);
            }
            if (weightMap != null) {
                for (Map.Entry<String, String> e : weightMap.entrySet()) {
                    Path expected = modelDir.resolve(e.getValue());
                    if (!expected.equals(fileOf.get(e.getKey()))) {
                        throw new IOException(index + " places tensor '" + e.getKey() + "' in " + e.getValue()
                                + ", but that file has no such tensor");
                    }
                }
            }
            return new SafetensorsWeights(arena, Collections.unmodifiableMap(all));
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private static Map<String, String> readIndex(Path index) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(index.toFile());
        } catch (IOException e) {
            throw new IOException(index + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new IOException(index + ": no weight_map object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual() || e.getValue().asText().contains("/")) {
                throw new IOException(index + ": weight_map entry '" + e.getKey() + "' must name a file in the directory");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    @Override
    public Set<String> names() {
        return tensors.keySet();
    }

    @Override
    public WeightTensor get(String name) throws IOException {
        WeightTensor t = tensors.get(name);
        if (t == null) {
            throw new IOException("the checkpoint has no tensor '" + name + "'");
        }
        return t;
    }

    @Override
    public void close() {
        arena.close();
    }
}
