/**
 * The root of the Iris SPI: {@link dev.iris.api.IrisPlugin}, which every service interface
 * extends. Sub-packages hold one concern each: tensors, configuration views, compute and
 * attention backends, model families, chat templates and sampling.
 */
package dev.iris.api;
