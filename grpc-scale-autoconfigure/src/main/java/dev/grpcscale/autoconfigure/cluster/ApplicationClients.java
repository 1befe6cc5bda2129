package dev.grpcscale.autoconfigure.cluster;

import java.util.Locale;

import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;

import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;

/**
 * Decides whether the cluster's election runs on the application's backend client (the one discovery's
 * registry uses, or one a user defined) or on a client of its own: the application's, unless discovery runs on
 * the same backend with other connection settings than the cluster's.
 */
final class ApplicationClients {

	private ApplicationClients() {
	}

	/** Whether discovery is enabled and runs on {@code backend} ({@code etcd}, {@code consul}). */
	static boolean discoveryRunsOn(GrpcScaleDiscoveryProperties discovery, String backend) {
		return discovery.isEnabled() && backend.equals(discovery.getProvider().name().toLowerCase(Locale.ROOT));
	}

	/**
	 * The application's client of a backend, when the cluster may share it; the bean that uses it is then made
	 * a dependent of the client's bean, so that the context destroys it (the election leaves) before the client
	 * is closed.
	 * @param clients the application's clients of the backend
	 * @param type their type
	 * @param sameConnection whether the cluster connects the way the application's client does
	 * @param beanFactory the bean factory
	 * @param dependentBean the name of the bean that will use the client
	 * @return the client to share, or {@code null} for a client of the cluster's own
	 */
	static <T> @Nullable T shared(ObjectProvider<T> clients, Class<T> type, boolean sameConnection,
			ConfigurableListableBeanFactory beanFactory, String dependentBean) {
		if (!sameConnection) {
			return null;
		}
		T client = clients.getIfUnique();
		if (client == null) {
			return null;
		}
		for (String name : beanFactory.getBeanNamesForType(type, true, false)) {
			beanFactory.registerDependentBean(name, dependentBean);
		}
		return client;
	}

}
