/**
 * The compute SPI: {@link dev.iris.api.compute.ComputeBackend} and the enums its ops take.
 */
package dev.iris.api.compute;
