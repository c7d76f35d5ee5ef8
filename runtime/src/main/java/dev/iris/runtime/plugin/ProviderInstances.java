package dev.iris.runtime.plugin;

import dev.iris.api.IrisPlugin;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;

/** Makes a provider from its class the way {@link java.util.ServiceLoader} does: {@code provider()} or the no-arg constructor. */
final class ProviderInstances {

    private ProviderInstances() {
    }

    static IrisPlugin instantiate(Class<?> type, Class<? extends IrisPlugin> spi) throws ReflectiveOperationException {
        try {
            Method m = type.getMethod("provider");
            if (Modifier.isStatic(m.getModifiers())) {
                return spi.cast(m.invoke(null));
            }
        } catch (NoSuchMethodException ignored) {
            // No provider method: fall through to the constructor, as ServiceLoader does.
        }
        if (!spi.isAssignableFrom(type)) {
            throw new ClassCastException(type.getName() + " does not implement " + spi.getName());
        }
        return spi.cast(type.getConstructor().newInstance());
    }
}
