/**
 * The sampling SPI: a {@link dev.iris.api.sampling.Sampler} turns logits and
 * {@link dev.iris.api.sampling.SamplingParams} into a {@link dev.iris.api.sampling.SampledToken}.
 */
package dev.iris.api.sampling;
