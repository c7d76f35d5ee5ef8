package dev.iris.templates.jinja;

/** A template that cannot be parsed, or a render that fails ({@code raise_exception} included). */
public final class TemplateException extends RuntimeException {

    public TemplateException(String message) {
        super(message);
    }
}
