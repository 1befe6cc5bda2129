package dev.grpcscale.autoconfigure.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;

/**
 * Auto-configuration of the application's one fabric8 {@link KubernetesClient}, which the {@code kubernetes}
 * discovery provider ({@code grpc.scale.service-discovery.provider=kubernetes}) and cluster provider
 * ({@code grpc.scale.cluster.provider=kubernetes}) share. Created when either is chosen and
 * {@code io.fabric8:kubernetes-client} is on the classpath, from fabric8's own configuration: in a pod, its
 * service account (token, CA and namespace under {@code /var/run/secrets/kubernetes.io/serviceaccount}) and
 * the {@code KUBERNETES_SERVICE_HOST}/{@code _PORT} variables; elsewhere the current context of
 * {@code ~/.kube/config} (or {@code KUBECONFIG}), or {@code KUBERNETES_MASTER} and fabric8's other
 * {@code kubernetes.*} system properties and variables. Closed when the context closes, after the providers
 * that use it. Define a {@code KubernetesClient} bean of your own to replace it.
 */
@AutoConfiguration(before = GrpcScaleDiscoveryAutoConfiguration.class,
		beforeName = "dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration")
@ConditionalOnClass(name = "io.fabric8.kubernetes.client.KubernetesClientBuilder")
@Conditional(GrpcScaleKubernetesAutoConfiguration.KubernetesProviderChosen.class)
public final class GrpcScaleKubernetesAutoConfiguration {

	@Bean(destroyMethod = "close")
	@ConditionalOnMissingBean
	KubernetesClient grpcScaleKubernetesClient() {
		return new KubernetesClientBuilder().build();
	}

	/**
	 * With discovery from EndpointSlices, the pod's readiness is its registration: Boot's readiness state
	 * follows grpc-scale's {@code NOT_SERVING} before the drain ({@link GrpcServingReadiness}).
	 */
	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.grpc.server.lifecycle.GrpcServerShutdownEvent")
	@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "kubernetes")
	static class ReadinessConfiguration {

		@Bean
		@ConditionalOnMissingBean
		GrpcServingReadiness grpcServingReadiness(ApplicationContext context) {
			return new GrpcServingReadiness(context);
		}

	}

	/** Discovery's or the cluster's provider is {@code kubernetes}. */
	static final class KubernetesProviderChosen extends AnyNestedCondition {

		KubernetesProviderChosen() {
			super(ConfigurationPhase.REGISTER_BEAN);
		}

		@ConditionalOnProperty(name = "grpc.scale.service-discovery.provider", havingValue = "kubernetes")
		static final class Discovery {

		}

		@ConditionalOnProperty(name = "grpc.scale.cluster.provider", havingValue = "kubernetes")
		static final class Cluster {

		}

	}

}
