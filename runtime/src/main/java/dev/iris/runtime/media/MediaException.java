package dev.iris.runtime.media;

/**
 * An image that cannot be loaded, with a message for the client that names the image's position
 * and the cause ({@code Failed to load image 2: HTTP 404 from https://…}). A client error (400).
 */
public final class MediaException extends IllegalArgumentException {

    MediaException(String message) {
        super(message);
    }

    static MediaException image(int index, String cause) {
        return new MediaException("Failed to load image " + index + ": " + cause);
    }
}
