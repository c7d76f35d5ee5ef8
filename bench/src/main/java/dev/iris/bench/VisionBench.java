package dev.iris.bench;

import dev.iris.api.model.EncodedImage;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.model.RgbaImage;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.backend.cpu.CpuAttentionBackend;
import dev.iris.backend.cpu.CpuComputeBackend;
import dev.iris.model.qwen2vl.Qwen2VlArchitecture;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.sampling.DefaultSampler;
import dev.iris.runtime.stop.StopConditions;
import dev.iris.runtime.weights.LoadProgress;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The Qwen2-VL family on a random-weight checkpoint with Qwen2-VL-2B's shapes: the time to
 * preprocess and encode one 640×480 image (image processor + vision tower), and the decode
 * tokens/s of one stream answering about it. The figures replace their section of RESULTS.md.
 *
 * <p>Usage: {@code VisionBench <model dir> <results.md> [new tokens, default 32]}.
 */
public final class VisionBench {

    static final String HEADING = "## Qwen2-VL: one 640x480 image";

    private VisionBench() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int newTokens = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        try (LoadedModel loaded = LoadedModel.load(dir, List.of(new Qwen2VlArchitecture()), new CpuComputeBackend(),
                new CpuAttentionBackend(), LoadProgress.NONE);
             Engine engine = loaded.newEngine(new DefaultSampler(), new EngineOptions(16, 4096, 0, false, 4, 8192))) {
            RgbaImage image = gradient(640, 480);
            ProcessedImage warm = loaded.model().imageProcessor().process(image, JsonConfigView.parse("none", "{}"));
            loaded.model().encodeImage(warm); // compiles the tower's paths
            long t0 = System.nanoTime();
            ProcessedImage processed = loaded.model().imageProcessor().process(image, JsonConfigView.parse("none", "{}"));
            long t1 = System.nanoTime();
            EncodedImage encoded = loaded.model().encodeImage(processed);
            long t2 = System.nanoTime();
            int[] prompt = loaded.tokenizer().encode("<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
                    + "Describe this image.<|im_end|>\n<|im_start|>assistant\n", false);
            long[] times = new long[newTokens];
            int[] count = {0};
            GenerationRequest request = new GenerationRequest(prompt, List.of(processed), SamplingParams.GREEDY,
                    new StopConditions(List.of(), Set.of(), Set.of(), true, false, newTokens, 0, Integer.MAX_VALUE));
            GenerationResult r = engine.submit(request, e -> times[count[0]++] = System.nanoTime()).join();
            double decode = (newTokens - 1) / ((times[newTokens - 1] - times[0]) / 1e9);
            String section = String.format(Locale.ROOT, """
                    %s

                    Written by `bench/run.sh` (`VisionBench`) on %s: %s (random weights, Qwen2-VL-2B shapes), %d threads,
                    a synthetic 640×480 RGB image at the checkpoint's pixel bounds (%d patches, %d image tokens).

                    | step | figure |
                    |---|---|
                    | preprocess (smart_resize, Pillow-exact bicubic, normalize, patches) | %.3f s |
                    | vision tower (%d blocks + merger) | %.2f s |
                    | prompt tokens (image expanded) | %d |
                    | decode, one stream, after the image | %.2f tokens/s |
                    """, HEADING, LocalDate.now(), dir.getFileName(), Integer.getInteger("iris.cpu.threads",
                    Runtime.getRuntime().availableProcessors()), processed.pixelShape().dim(0), processed.promptTokens(),
                    (t1 - t0) / 1e9, 32, (t2 - t1) / 1e9, r.promptTokens(), decode);
            if (encoded.rows() != processed.promptTokens()) {
                throw new IllegalStateException("the tower gave " + encoded.rows() + " rows for " + processed.promptTokens());
            }
            BenchMain.replaceSection(Path.of(args[1]), HEADING, section);
            System.out.println(section);
        }
    }

    /** A smooth RGB gradient (like the fixtures' gradient image), opaque. */
    private static RgbaImage gradient(int w, int h) {
        byte[] rgba = new byte[w * h * 4];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * 4;
                rgba[o] = (byte) (255 * x / (w - 1));
                rgba[o + 1] = (byte) (255 * y / (h - 1));
                rgba[o + 2] = (byte) (128);
                rgba[o + 3] = (byte) 255;
            }
        }
        return new RgbaImage(w, h, rgba);
    }
}
