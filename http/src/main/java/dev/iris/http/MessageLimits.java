package dev.iris.http;

/**
 * How much a request may ask the server to prepare: rendering and tokenizing are linear in the
 * prompt, and these caps keep one request's share of a core small ({@code 400} past them).
 *
 * @param messages chat messages per request ({@code --max-messages})
 * @param parts    content parts (text and images) over all messages of a request
 *                 ({@code --max-content-parts})
 */
public record MessageLimits(int messages, int parts) {

    /** 4096 messages, 4096 content parts. */
    public static final MessageLimits DEFAULTS = new MessageLimits(4096, 4096);

    public MessageLimits {
        if (messages < 1 || parts < 1) {
            throw new IllegalArgumentException("message limits must be positive, got " + messages + " and " + parts);
        }
    }
}
