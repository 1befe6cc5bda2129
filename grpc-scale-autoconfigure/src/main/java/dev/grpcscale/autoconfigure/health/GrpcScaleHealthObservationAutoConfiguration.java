package dev.grpcscale.autoconfigure.health;

import io.grpc.health.v1.HealthGrpc;
import io.micrometer.core.instrument.binder.grpc.GrpcServerObservationContext;
import io.micrometer.observation.ObservationPredicate;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration that keeps gRPC health-check calls out of observations and traces: a
 * {@link HealthCallsObservationPredicate} bean, which Spring Boot applies to its observation registry. It
 * covers the server's {@code grpc.health.v1} service and health calls on Boot's client channels alike;
 * grpc-scale's own probe channels carry no observation interceptor to begin with
 * ({@link ProbeChannelFactory}).
 */
@AutoConfiguration
@ConditionalOnClass({ ObservationPredicate.class, GrpcServerObservationContext.class, HealthGrpc.class })
public final class GrpcScaleHealthObservationAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	HealthCallsObservationPredicate grpcScaleHealthCallsObservationPredicate() {
		return new HealthCallsObservationPredicate();
	}

}
