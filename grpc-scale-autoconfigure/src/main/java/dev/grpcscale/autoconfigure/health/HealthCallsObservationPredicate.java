package dev.grpcscale.autoconfigure.health;

import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.binder.grpc.GrpcClientObservationContext;
import io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationPredicate;

/**
 * Keeps gRPC health-check calls ({@code grpc.health.v1.Health/Check} and {@code Watch}) out of observations:
 * the calls Micrometer's gRPC observation interceptors (which Spring Boot installs on its server and on the
 * channels of its {@code GrpcChannelFactory}) would record for the health service get a no-op observation
 * instead, so they make no span, no timer and no trace, whoever sends them (grpc-scale's prober, a load
 * balancer, Kubernetes, a user's own channel). Every other observation is kept.
 *
 * <p>Health checks run every few seconds per instance and per checker; traced, they would fill the trace
 * store with traces of no interest and, sampled at the application's rate, take a share of its sampling.
 * Spring Boot applies every {@link ObservationPredicate} bean to its {@code ObservationRegistry}.
 */
public final class HealthCallsObservationPredicate implements ObservationPredicate {

	private static final String HEALTH_SERVICE = HealthGrpc.SERVICE_NAME;

	@Override
	public boolean test(String name, Observation.Context context) {
		if (context instanceof GrpcServerObservationContext server) {
			return !HEALTH_SERVICE.equals(server.getServiceName());
		}
		if (context instanceof GrpcClientObservationContext client) {
			return !HEALTH_SERVICE.equals(client.getServiceName());
		}
		return true;
	}

}
