package dev.grpcscale.tracing;

import dev.grpcscale.EnhancedServiceStatus;

/**
 * Tells the {@code tracing} section of {@link dev.grpcscale.EnhancedServiceManager#getEnhancedServiceStatus()}:
 * whether tracing is on, its sampling, where spans go and how many were exported or lost. The Spring Boot
 * starter gives one that reads Spring Boot's OpenTelemetry set-up; give your own to
 * {@link dev.grpcscale.EnhancedServiceManager.Builder#tracingStatus} when tracing is set up otherwise.
 */
@FunctionalInterface
public interface TracingStatusSource {

	/**
	 * The tracing section now; called on every status request, so it must be cheap and must not block.
	 * @return the section, {@link EnhancedServiceStatus.Tracing#unavailable()} without tracing
	 */
	EnhancedServiceStatus.Tracing tracingStatus();

}
