package dev.grpcscale.autoconfigure.tracing;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * Auto-configuration that tells, at start-up, when {@code grpc.scale.tracing.*} keys are set but the
 * tracing libraries they configure are not on the classpath (an application that excluded
 * {@code spring-boot-starter-opentelemetry} from grpc-scale's starter): one warning names the keys that
 * have no effect and the dependency that would give them one. Tracing itself is Spring Boot's, configured
 * from {@code grpc.scale.tracing.*} by {@link GrpcScaleTracingEnvironmentPostProcessor}.
 * <p>
 * Off with {@code grpc.scale.tracing.enabled=false}, where the keys are meant to have no effect.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "grpc.scale.tracing.enabled", matchIfMissing = true)
public final class GrpcScaleTracingAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	TracingClasspathWarning grpcScaleTracingClasspathWarning(Environment environment) {
		return new TracingClasspathWarning(environment);
	}

}
