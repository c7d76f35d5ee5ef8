/**
 * The chat-template SPI: {@link dev.iris.api.chat.ChatTemplate} turns
 * {@link dev.iris.api.chat.ChatMessage}s with text and image parts into prompt text.
 */
package dev.iris.api.chat;
