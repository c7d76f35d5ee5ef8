/**
 * Plugin discovery: {@link dev.iris.runtime.plugin.PluginRegistry} finds the providers of every
 * Iris SPI on the module path and in the plugins directory, with a JPMS layer host or an
 * embedded Apache Felix host that hot-deploys jars.
 */
package dev.iris.runtime.plugin;
