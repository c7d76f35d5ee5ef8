package dev.iris.cli;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;
import dev.iris.api.config.ConfigView;
import dev.iris.api.model.ImageProcessor;
import dev.iris.api.model.ProcessedImage;
import dev.iris.api.sampling.Sampler;
import dev.iris.api.sampling.SamplingParams;
import dev.iris.runtime.config.JsonConfigView;
import dev.iris.runtime.engine.Engine;
import dev.iris.runtime.engine.EngineOptions;
import dev.iris.runtime.engine.GenerationRequest;
import dev.iris.runtime.engine.GenerationResult;
import dev.iris.runtime.media.MediaLoader;
import dev.iris.runtime.media.MediaOptions;
import dev.iris.runtime.model.LoadedModel;
import dev.iris.runtime.plugin.PluginHostType;
import dev.iris.runtime.plugin.PluginRegistry;
import dev.iris.runtime.plugin.PluginSettings;
import dev.iris.runtime.stop.StopConditions;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;

/**
 * {@code iris chat}: a conversation in the terminal with a model directory (or Hub repo id),
 * through the offline engine, no server. With a prompt it answers once and exits; without one it
 * reads turns from standard input, keeping the conversation, with {@code /image PATH} to attach
 * an image to the next turn, {@code /reset} and {@code /exit}.
 */
final class ChatCommand {

    static final String HELP = """
            Usage: iris chat [--model-path DIR|ORG/NAME|FILE.gguf] [--image PATH]... [options] [PROMPT]

            Talks to a model in the terminal through the offline engine (no server). With PROMPT it prints
            one answer and exits; without, it reads one turn per line from standard input and keeps the
            conversation. In a conversation, '/image PATH' attaches an image to the next turn, '/reset'
            starts over and '/exit' (or end of input) quits. Answers stream to standard output; logs go
            to standard error.

            Options:
              --model-path DIR|ORG/NAME  model directory, Hugging Face repo id, or a text GGUF (default: the
                                         bundled demo model)
              --mmproj FILE.gguf         the vision projector GGUF that goes with a GGUF --model-path
              --image PATH               an image for the (first) turn; repeat for several
              --system TEXT              a system message
              --chat-template NAME|FILE  as for 'iris serve' (default: the model's own template)
              --max-new-tokens N         most tokens per answer (default 512)
              --temperature T            sampling temperature, 0 for greedy (default 1.0)
              --top-p P                  nucleus sampling (default 1.0)
              --seed N                   sampling seed, for a repeatable answer
              --device cpu|cuda          compute backend (default cpu)
              --plugins-dir DIR          plugin jars (default: plugins/ of the installation)
              --plugin-host jpms|osgi    how plugin jars are loaded (default jpms)
              --revision REV, --download-dir DIR   for a Hub repo id
              --log-level LEVEL          log level on standard error (default warning)
            """;

    private static final List<Flag> FLAGS = List.of(
            Flag.of("model-path", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("mmproj", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("image", Flag.Type.APPEND, null, Flag.Effect.E, ""),
            Flag.of("system", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("chat-template", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("max-new-tokens", Flag.Type.INT, "512", Flag.Effect.E, ""),
            Flag.of("temperature", Flag.Type.FLOAT, "1.0", Flag.Effect.E, ""),
            Flag.of("top-p", Flag.Type.FLOAT, "1.0", Flag.Effect.E, ""),
            Flag.of("seed", Flag.Type.INT, null, Flag.Effect.E, ""),
            Flag.of("device", Flag.Type.STRING, "cpu", Flag.Effect.E, ""),
            Flag.of("plugins-dir", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("plugin-host", Flag.Type.STRING, "jpms", Flag.Effect.E, ""),
            Flag.of("revision", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("download-dir", Flag.Type.STRING, null, Flag.Effect.E, ""),
            Flag.of("log-level", Flag.Type.STRING, "warning", Flag.Effect.E, ""),
            Flag.of("help", Flag.Type.BOOL, null, Flag.Effect.E, ""));

    /** A chat holds one conversation: a pool of a few contexts is plenty, and costs little memory. */
    private static final int KV_TOKENS = 32768;

    private final Engine engine;
    private final LoadedModel loaded;
    private final ChatTemplate template;
    private final SamplingParams sampling;
    private final int maxNewTokens;
    private final PrintStream out;
    private final List<ChatMessage> conversation = new ArrayList<>();

    private ChatCommand(Engine engine, LoadedModel loaded, ChatTemplate template, SamplingParams sampling,
                        int maxNewTokens, PrintStream out) {
        this.engine = engine;
        this.loaded = loaded;
        this.template = template;
        this.sampling = sampling;
        this.maxNewTokens = maxNewTokens;
        this.out = out;
    }

    static int run(List<String> args, Path home, InputStream in, PrintStream out, PrintStream err) throws IOException {
        CommandLine cl = CommandLine.parse(args, FLAGS);
        if (cl.flag("help")) {
            out.print(HELP);
            return 0;
        }
        if (cl.positional().size() > 1) {
            throw new UsageException("iris chat takes one prompt; quote it (got " + cl.positional().size() + " words)");
        }
        ConsoleLog.configure(cl.get("log-level", "warning"), "warning", err);
        int maxNewTokens = Integer.parseInt(cl.get("max-new-tokens", "512"));
        if (maxNewTokens < 1) {
            throw new UsageException("argument --max-new-tokens: must be at least 1, got " + maxNewTokens);
        }
        SamplingParams sampling;
        try {
            sampling = new SamplingParams(Float.parseFloat(cl.get("temperature", "1.0")),
                    Float.parseFloat(cl.get("top-p", "1.0")), -1, 0f, 1f, 0f, 0f,
                    cl.get("seed") == null ? null : Long.valueOf(cl.get("seed")), 0);
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        String modelPath = cl.get("model-path", home.resolve("models/iris-demo").toString());
        if (cl.get("model-path") == null) {
            err.println("No --model-path given: talking to the bundled demo model '" + ServeCommand.DEMO_NAME
                    + "' (random weights: its answers are noise).");
        }
        Path dir = ServeCommand.modelDirectory(modelPath, cl.get("revision"), cl.get("download-dir"), err);
        List<Path> images = cl.list("image").stream().map(Path::of).toList();
        PluginHostType host;
        try {
            host = PluginHostType.parse(cl.get("plugin-host", "jpms"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        Path pluginsDir = Path.of(cl.get("plugins-dir", home.resolve("plugins").toString()));
        try (PluginRegistry plugins = PluginRegistry.open(PluginSettings.of(pluginsDir, host));
             LoadedModel loaded = LoadedModel.load(dir, plugins, cl.get("device", "cpu"), new LoadedModel.Overrides("{}", "{}",
                     null, false, null, cl.get("mmproj") == null ? null : Path.of(cl.get("mmproj"))),
                     new LoadBar(err, System.console() != null))) {
            ChatTemplate template = TemplateChoice.choose(cl.get("chat-template"), plugins, loaded);
            Sampler sampler = plugins.require(Sampler.class, "default");
            try (Engine engine = loaded.newEngine(sampler, new EngineOptions(1, KV_TOKENS, 0.8, true, 1, 8192))) {
                ChatCommand chat = new ChatCommand(engine, loaded, template, sampling, maxNewTokens, out);
                if (cl.get("system") != null) {
                    chat.conversation.add(ChatMessage.text("system", cl.get("system")));
                }
                if (!cl.positional().isEmpty()) {
                    return chat.turn(cl.positional().getFirst(), images, err) ? 0 : 1;
                }
                chat.converse(new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)), images, err);
                return 0;
            }
        }
    }

    /** Turns from standard input until {@code /exit} or its end; a failed turn is reported and dropped. */
    private void converse(BufferedReader in, List<Path> firstImages, PrintStream err) throws IOException {
        List<Path> pending = new ArrayList<>(firstImages);
        boolean console = System.console() != null;
        while (true) {
            if (console) {
                err.print("> ");
                err.flush();
            }
            String line = in.readLine();
            if (line == null || line.strip().equals("/exit")) {
                return;
            }
            String text = line.strip();
            if (text.startsWith("/image ")) {
                Path image = Path.of(text.substring("/image ".length()).strip());
                if (Files.isRegularFile(image)) {
                    pending.add(image);
                    err.println("(image " + image + " goes with the next turn)");
                } else {
                    err.println("No such file: " + image);
                }
            } else if (text.equals("/reset")) {
                conversation.removeIf(m -> !m.role().equals("system"));
                pending.clear();
            } else if (!text.isEmpty()) {
                turn(text, pending, err);
                pending.clear();
            }
        }
    }

    /**
     * One user turn: rendered with the conversation so far, the answer streamed to standard output
     * and kept. A turn the model cannot take (an unreadable image, a prompt past the context) is
     * reported on standard error and leaves the conversation as it was.
     */
    private boolean turn(String text, List<Path> images, PrintStream err) {
        List<ContentPart> parts = new ArrayList<>();
        for (Path image : images) {
            parts.add(new ContentPart.Image(image.toAbsolutePath().toUri().toString(), null, null));
        }
        parts.add(new ContentPart.Text(text));
        ChatMessage user = new ChatMessage("user", parts);
        conversation.add(user);
        try {
            RenderedPrompt prompt = template.render(conversation, true);
            List<ProcessedImage> processed = process(prompt.images());
            int[] ids = loaded.tokenizer().encodePrompt(prompt.text());
            GenerationRequest request = new GenerationRequest(ids, processed, sampling, new StopConditions(
                    prompt.stopStrings(), Set.of(), loaded.eosTokenIds(), false, false, maxNewTokens, 0, Integer.MAX_VALUE));
            GenerationResult result = engine.submit(request, event -> {
                out.print(event.text());
                out.flush();
            }).join();
            out.println();
            conversation.add(ChatMessage.text("assistant", result.text()));
            return true;
        } catch (IllegalArgumentException | CompletionException e) {
            conversation.remove(user);
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            err.println("iris chat: " + cause.getMessage());
            return false;
        }
    }

    /** The conversation's images read from disk (their directories allowed) and put through the family's processor. */
    private List<ProcessedImage> process(List<ContentPart.Image> parts) {
        if (parts.isEmpty()) {
            return List.of();
        }
        ImageProcessor processor = loaded.model().imageProcessor();
        if (processor == null) {
            throw new IllegalArgumentException("this model takes no images");
        }
        List<Path> dirs = parts.stream().map(p -> Path.of(java.net.URI.create(p.url())).getParent()).distinct().toList();
        MediaLoader loader = new MediaLoader(MediaOptions.defaults().withAllowedLocalPaths(dirs)
                .withMaxImages(processor.maxImagesPerPrompt()));
        ConfigView none = JsonConfigView.empty("chat");
        ImageProcessor forThese = processor.forRequest(parts.size());
        List<ProcessedImage> out = new ArrayList<>();
        for (var image : loader.load(parts.stream().map(ContentPart.Image::url).toList())) {
            out.add(forThese.process(image, none));
        }
        return out;
    }
}
