package dev.iris.http;

/**
 * A request the server refuses, with what the client is told: the HTTP status, the message, the
 * OpenAI error type and the offending field. Thrown anywhere below a handler; the server turns it
 * into the endpoint family's error body (OpenAI's for {@code /v1/*}, SGLang's native one elsewhere).
 */
public final class ApiError extends RuntimeException {

    private final int status;
    private final String param;

    public ApiError(int status, String message, String param) {
        super(message);
        this.status = status;
        this.param = param;
    }

    /** 400 with a message and, when known, the field at fault. */
    public static ApiError badRequest(String message, String param) {
        return new ApiError(400, message, param);
    }

    public int status() {
        return status;
    }

    /** The field at fault, or null. */
    public String param() {
        return param;
    }

    /** The OpenAI error type for the status. */
    public String type() {
        return typeOf(status);
    }

    static String typeOf(int status) {
        return switch (status) {
            case 400 -> "BadRequestError";
            case 401 -> "AuthenticationError";
            case 404 -> "NotFoundError";
            case 413 -> "RequestTooLargeError";
            case 503 -> "ServiceUnavailableError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
    }
}
