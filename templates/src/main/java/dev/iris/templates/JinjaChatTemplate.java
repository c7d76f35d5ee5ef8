package dev.iris.templates;

import dev.iris.api.chat.ChatMessage;
import dev.iris.api.chat.ChatTemplate;
import dev.iris.api.chat.ContentPart;
import dev.iris.api.chat.RenderedPrompt;
import dev.iris.templates.jinja.JinjaTemplate;
import dev.iris.templates.jinja.TemplateException;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A checkpoint's own Jinja chat template, rendered as transformers' {@code apply_chat_template}
 * does: the messages in Hugging Face's form, the tokenizer's {@code bos_token}/{@code eos_token},
 * {@code add_generation_prompt}, and {@code strftime_now} for templates that print today's date.
 *
 * <p>Message content goes in the form the template reads, as vLLM decides it: a list of parts
 * ({@code {"type": "text", "text": …}}, {@code {"type": "image"}}) when the template iterates
 * or indexes a message's content, a plain string otherwise (then a message with images is refused,
 * rather than the images dropped).
 */
final class JinjaChatTemplate implements ChatTemplate {

    /** The template loops over, filters or indexes {@code message['content']}: it reads parts. */
    private static final Pattern READS_PARTS = Pattern.compile(
            "in\\s+\\w+\\[['\"]content['\"]\\]|\\[['\"]content['\"]\\]\\s*(\\||\\[\\s*0)|\\.content\\s*(\\||\\[\\s*0)");

    private final String name;
    private final JinjaTemplate template;
    private final boolean parts;
    private final Map<String, Object> variables;

    /**
     * @param variables fixed variables: the tokenizer's special tokens, and any defaults
     */
    JinjaChatTemplate(String name, String source, Map<String, Object> variables) {
        this.name = name;
        this.template = JinjaTemplate.compile(source);
        this.parts = READS_PARTS.matcher(source).find();
        this.variables = Map.copyOf(variables);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return "Jinja chat template " + name;
    }

    @Override
    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** The request's variables go in under the template's own (bos_token, ...), which they may override. */
    @Override
    public RenderedPrompt render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> requestVariables) {
        List<Object> hf = new ArrayList<>();
        List<ContentPart.Image> images = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> message = new LinkedHashMap<>();
            message.put("role", m.role());
            List<Object> content = new ArrayList<>();
            StringBuilder text = new StringBuilder();
            for (ContentPart p : m.content()) {
                Map<String, Object> part = new LinkedHashMap<>();
                if (p instanceof ContentPart.Text t) {
                    part.put("type", "text");
                    part.put("text", t.text());
                    text.append(t.text());
                } else if (p instanceof ContentPart.Image i) {
                    part.put("type", "image");
                    images.add(i);
                    if (!parts) {
                        throw new IllegalArgumentException("The model's chat template takes no images; start the server"
                                + " with a --chat-template that does.");
                    }
                }
                content.add(part);
            }
            message.put("content", parts ? content : text.toString());
            hf.add(message);
        }
        Map<String, Object> vars = new LinkedHashMap<>(variables);
        vars.putAll(requestVariables);
        vars.put("messages", hf);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.putIfAbsent("strftime_now", JinjaTemplate.function(args ->
                LocalDate.now().format(DateTimeFormatter.ofPattern(pythonToJava(String.valueOf(args.getFirst())), Locale.ROOT))));
        try {
            return new RenderedPrompt(template.render(vars), images, List.of());
        } catch (TemplateException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    /** The strftime fields chat templates use ({@code %d %b %Y}, {@code %Y-%m-%d}). */
    private static String pythonToJava(String format) {
        return format.replace("%d", "dd").replace("%b", "MMM").replace("%B", "MMMM").replace("%Y", "yyyy")
                .replace("%m", "MM").replace("%y", "yy").replace("%A", "EEEE").replace("%a", "EEE");
    }
}
