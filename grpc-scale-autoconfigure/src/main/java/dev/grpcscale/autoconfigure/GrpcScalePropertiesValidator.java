package dev.grpcscale.autoconfigure;

import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.Environment;
import org.springframework.validation.Errors;

/**
 * The rules of grpc-scale's properties classes, applied once by Boot's binder through their
 * {@code validate} methods: the single entry point, which hands each properties class to its feature's
 * checker ({@link ServicesPropertiesChecker}, {@link DiscoveryPropertiesChecker},
 * {@link CircuitBreakerPropertiesChecker}, {@link HealthCheckPropertiesChecker},
 * {@link MetricsPropertiesChecker}, {@link TracingPropertiesChecker}, {@link ClusterPropertiesChecker}, the
 * last two of which share {@link BackendClientPropertiesChecker}). Every checker reports to one
 * {@link PropertyProblems}, which makes each invalid value a field error named after its key and renders it as
 * {@code <key>: '<value>' (expected: <what>)}. Core builders keep their own invariant checks; nothing here
 * reads their messages.
 */
final class GrpcScalePropertiesValidator {

	private final PropertyProblems problems;

	private final @Nullable Environment environment;

	private final ClassLoader classLoader;

	private GrpcScalePropertiesValidator(Errors errors, @Nullable Environment environment, ClassLoader classLoader) {
		this.problems = new PropertyProblems(errors);
		this.environment = environment;
		this.classLoader = classLoader;
	}

	/**
	 * A validator of one bound object.
	 * @param environment where {@code spring.application.name}, the other features' providers and removed
	 * keys are read; may be {@code null}
	 * @param classLoader where optional backend clients are looked for
	 * @param errors where every invalid value is reported
	 * @return the validator
	 */
	static GrpcScalePropertiesValidator context(@Nullable Environment environment, ClassLoader classLoader,
			Errors errors) {
		return new GrpcScalePropertiesValidator(errors, environment, classLoader);
	}

	static void validate(GrpcScaleProperties properties, GrpcScalePropertiesValidator validator) {
		new ServicesPropertiesChecker(validator.problems).check(properties.getServices(), validator.applicationName());
	}

	static void validate(GrpcScaleDiscoveryProperties properties, GrpcScalePropertiesValidator validator) {
		new DiscoveryPropertiesChecker(validator.problems, validator.backendClients()).check(properties,
				validator.clusterProvider());
	}

	static void validate(GrpcScaleCircuitBreakerProperties properties, GrpcScalePropertiesValidator validator) {
		new CircuitBreakerPropertiesChecker(validator.problems).check(properties);
	}

	static void validate(GrpcScaleHealthCheckProperties properties, GrpcScalePropertiesValidator validator) {
		new HealthCheckPropertiesChecker(validator.problems).check(properties);
	}

	static void validate(GrpcScaleMetricsProperties properties, GrpcScalePropertiesValidator validator) {
		new MetricsPropertiesChecker(validator.problems).check(properties);
	}

	static void validate(GrpcScaleTracingProperties properties, GrpcScalePropertiesValidator validator) {
		new TracingPropertiesChecker(validator.problems).check(properties);
	}

	static void validate(GrpcScaleClusterProperties properties, GrpcScalePropertiesValidator validator) {
		new ClusterPropertiesChecker(validator.problems, validator.backendClients()).check(properties,
				validator.applicationName(), validator.clusterProvider());
		validator.removedKeys("grpc.scale.cluster", ClusterPropertiesChecker.REMOVED_KEYS);
	}

	private BackendClientPropertiesChecker backendClients() {
		return new BackendClientPropertiesChecker(this.problems, this.classLoader);
	}

	private @Nullable String applicationName() {
		return (this.environment != null) ? this.environment.getProperty("spring.application.name") : null;
	}

	/** A value of another feature, bound from the environment; the default when unset or not bindable. */
	private GrpcScaleClusterProperties.Provider clusterProvider() {
		if (this.environment == null) {
			return GrpcScaleClusterProperties.Provider.MEMORY;
		}
		try {
			return GrpcScaleClusterProperties.effectiveProvider(this.environment);
		}
		catch (RuntimeException ex) {
			// reported by the feature it belongs to
			return GrpcScaleClusterProperties.Provider.MEMORY;
		}
	}

	/** Rejects keys that were bound but never used, naming what to set instead. */
	private void removedKeys(String prefix, Map<String, String> removed) {
		if (this.environment == null) {
			return;
		}
		removed.forEach((key, replacement) -> {
			ConfigurationPropertyName name = ConfigurationPropertyName.of(prefix + "." + key);
			for (ConfigurationPropertySource source : ConfigurationPropertySources.get(this.environment)) {
				ConfigurationProperty property = source.getConfigurationProperty(name);
				if (property != null) {
					String origin = (property.getOrigin() != null) ? " (set in " + property.getOrigin() + ")" : "";
					this.problems.add(key, property.getValue(),
							"no value: the key was removed, set " + replacement + origin);
					return;
				}
			}
		});
	}

}
