/**
 * The model-family SPI: {@link dev.iris.api.model.ModelArchitecture} builds a
 * {@link dev.iris.api.model.VisionLanguageModel}, which preprocesses images, expands prompts and
 * runs forward steps over a {@link dev.iris.api.model.ForwardBatch} of mixed prefill and decode.
 */
package dev.iris.api.model;
