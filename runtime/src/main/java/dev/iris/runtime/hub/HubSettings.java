package dev.iris.runtime.hub;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where the Hugging Face Hub and its cache are, from the environment variables the HF tools read:
 * {@code HF_ENDPOINT} (default {@code https://huggingface.co}), {@code HF_HUB_CACHE}, else
 * {@code HF_HOME}/hub, else {@code ~/.cache/huggingface/hub}; {@code HF_TOKEN}; {@code HF_HUB_OFFLINE}.
 *
 * @param endpoint the Hub's base URL, without a trailing slash
 * @param cache    the cache directory ({@code models--org--name} folders)
 * @param token    the access token, or null
 * @param offline  use the cache only
 */
public record HubSettings(String endpoint, Path cache, String token, boolean offline) {

    /** From the process environment. */
    public static HubSettings fromEnvironment() {
        return from(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /** From these variables; {@code home} is the user's home directory. */
    public static HubSettings from(Map<String, String> env, Path home) {
        String endpoint = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co").replaceAll("/+$", "");
        Path cache = env.containsKey("HF_HUB_CACHE") ? Path.of(env.get("HF_HUB_CACHE"))
                : env.containsKey("HF_HOME") ? Path.of(env.get("HF_HOME")).resolve("hub")
                : home.resolve(".cache/huggingface/hub");
        String token = env.get("HF_TOKEN");
        String offline = env.getOrDefault("HF_HUB_OFFLINE", "0");
        return new HubSettings(endpoint, cache, token == null || token.isBlank() ? null : token,
                offline.equals("1") || offline.equalsIgnoreCase("true") || offline.equalsIgnoreCase("yes"));
    }
}
