package dev.iris.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import static dev.iris.model.llava.Goldens.TESTDATA;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The anyres geometry at the 7B checkpoints' settings against the spec's worked examples
 * (testdata/preprocess/llava_anyres/layouts.json, from spec llava.md §6.5), in both conventions:
 * the grid, the unpadded map, OneVision's shrunk map, the prompt positions — including the images
 * where SGLang's (width, height) pinpoints or its double rounding give another answer.
 */
class AnyresLayoutTest {

    @ParameterizedTest
    @CsvSource({"next, TRANSFORMERS", "next, ORIGINAL", "onevision, TRANSFORMERS", "onevision, ORIGINAL"})
    void theLayoutMatchesTheSpecsWorkedExamples(String family, AnyresLayout.Convention convention) throws IOException {
        JsonNode spec = new ObjectMapper().readTree(TESTDATA.resolve("preprocess/llava_anyres/layouts.json").toFile())
                .get(family);
        List<int[]> pinpoints = new ArrayList<>();
        spec.get("pinpoints").forEach(p -> pinpoints.add(new int[]{p.get(0).asInt(), p.get(1).asInt()}));
        int tile = spec.get("tile").asInt();
        int side = spec.get("side").asInt();
        int max = spec.get("max_patches").asInt();
        for (JsonNode c : spec.get("cases")) {
            JsonNode expected = c.get(convention == AnyresLayout.Convention.TRANSFORMERS ? "transformers" : "sglang");
            String image = c.get("width") + "x" + c.get("height");
            AnyresLayout layout = AnyresLayout.choose(c.get("height").asInt(), c.get("width").asInt(), pinpoints, tile,
                    convention);
            assertArrayEquals(ints(expected.get("grid")), new int[]{layout.rows(), layout.cols()}, image + " grid");
            int[] kept = layout.unpadded(side);
            assertArrayEquals(ints(expected.get("kept")), new int[]{kept[1], kept[3]}, image + " unpadded map");
            assertArrayEquals(ints(expected.get("packed")), layout.packedSize(side, max), image + " packed map");
            assertEquals(expected.get("tokens").asInt(), layout.promptTokens(side, max), image + " positions");
        }
    }

    private static int[] ints(JsonNode pair) {
        return new int[]{pair.get(0).asInt(), pair.get(1).asInt()};
    }
}
