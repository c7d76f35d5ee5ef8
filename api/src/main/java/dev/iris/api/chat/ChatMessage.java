package dev.iris.api.chat;

import java.util.List;

/**
 * One message of a conversation. A plain string content is one {@link ContentPart.Text}.
 *
 * @param role    {@code system}, {@code user}, {@code assistant} or {@code tool}
 * @param content the parts, in order
 */
public record ChatMessage(String role, List<ContentPart> content) {

    public ChatMessage {
        if (role == null || role.isEmpty()) {
            throw new IllegalArgumentException("message without role");
        }
        content = List.copyOf(content);
    }

    /** A message whose content is one text part. */
    public static ChatMessage text(String role, String text) {
        return new ChatMessage(role, List.of(new ContentPart.Text(text)));
    }

    /** The text parts joined without separator. */
    public String joinedText() {
        StringBuilder sb = new StringBuilder();
        for (ContentPart p : content) {
            if (p instanceof ContentPart.Text t) {
                sb.append(t.text());
            }
        }
        return sb.toString();
    }

    /** The image parts, in order. */
    public List<ContentPart.Image> images() {
        return content.stream().filter(ContentPart.Image.class::isInstance).map(ContentPart.Image.class::cast).toList();
    }
}
