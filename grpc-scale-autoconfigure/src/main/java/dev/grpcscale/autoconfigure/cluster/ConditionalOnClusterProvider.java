package dev.grpcscale.autoconfigure.cluster;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.Map;

import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;

import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties.Provider;

/**
 * Matches when the election runs on the given backend, as
 * {@link GrpcScaleClusterProperties#effectiveProvider} decides it: {@code grpc.scale.cluster.provider}, or
 * the discovery backend when the fleet shares it, or memory.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
@Documented
@Conditional(ConditionalOnClusterProvider.OnClusterProviderCondition.class)
@interface ConditionalOnClusterProvider {

	/** The backend. */
	Provider value();

	/** Evaluates {@link ConditionalOnClusterProvider}. */
	final class OnClusterProviderCondition extends SpringBootCondition {

		@Override
		public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
			Map<String, Object> attributes = metadata.getAnnotationAttributes(ConditionalOnClusterProvider.class.getName());
			Provider wanted = (Provider) attributes.get("value");
			Provider effective;
			try {
				effective = GrpcScaleClusterProperties.effectiveProvider(context.getEnvironment());
			}
			catch (RuntimeException ex) {
				// a value that does not bind: the properties' own binding reports it
				return ConditionOutcome.noMatch("grpc.scale.cluster.provider does not bind: " + ex.getMessage());
			}
			return (effective == wanted) ? ConditionOutcome.match("the election runs on " + effective)
					: ConditionOutcome.noMatch("the election runs on " + effective + ", not " + wanted);
		}

	}

}
