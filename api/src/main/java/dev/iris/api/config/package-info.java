/**
 * Read-only views of JSON configuration ({@link dev.iris.api.config.ConfigView}), so plugins
 * read {@code config.json} and friends without depending on a JSON library.
 */
package dev.iris.api.config;
