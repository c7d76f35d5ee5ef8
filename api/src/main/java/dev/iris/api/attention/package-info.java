/**
 * The attention SPI: {@link dev.iris.api.attention.AttentionBackend}, paged K/V caches
 * ({@link dev.iris.api.attention.KvCache}, {@link dev.iris.api.attention.KvCacheSpec}) and the
 * description of a mixed batch ({@link dev.iris.api.attention.AttentionBatch}).
 */
package dev.iris.api.attention;
