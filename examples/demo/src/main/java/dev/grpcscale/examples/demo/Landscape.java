package dev.grpcscale.examples.demo;

import java.util.Map;

import tools.jackson.databind.JsonNode;

import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.examples.product.app.ProductServiceApplication;
import dev.grpcscale.examples.user.app.UserServiceApplication;

/**
 * Where the demo's applications run: in this JVM on memory discovery ({@link InProcessLandscape}), or as
 * separate JVM processes on etcd ({@link ProcessLandscape}). The {@link DemoStory} reaches them only
 * through this, so both tell the same story. Applications are named by their {@code example.instance-name}.
 */
interface Landscape extends AutoCloseable {

	/** One line on what runs where, printed first. */
	String description();

	/** The discovery the applications register with, read by the demo's own client. */
	ServiceDiscovery discovery();

	/**
	 * Starts applications, at the same time where the landscape can, and returns once each has
	 * registered.
	 * @param applications what each instance, by name, is
	 */
	void start(Map<String, Application> applications) throws Exception;

	/**
	 * An application's {@code getEnhancedServiceStatus()}, as JSON, as {@code /actuator/grpcscale}
	 * serves it.
	 * @param instanceName the application
	 */
	JsonNode status(String instanceName) throws Exception;

	/**
	 * A product-service instance's {@code /actuator/example} state: {@code failing},
	 * {@code catalogueRefreshes}, {@code lastFencingToken}.
	 * @param instanceName the instance
	 */
	JsonNode example(String instanceName) throws Exception;

	/**
	 * Turns a product-service instance's fault switch on or off.
	 * @param instanceName the instance
	 * @param failing whether its calls fail with {@code UNAVAILABLE}
	 */
	void setFailing(String instanceName, boolean failing) throws Exception;

	/**
	 * Shuts an application down gracefully (as {@code SIGTERM} does) and returns once it has stopped.
	 * @param instanceName the application
	 */
	void stop(String instanceName) throws Exception;

	/** The example applications the demo runs. */
	enum Application {

		/** {@link ProductServiceApplication}. */
		PRODUCT_SERVICE(ProductServiceApplication.class, ProductServiceApplication.CONFIG_NAME),

		/** {@link UserServiceApplication}. */
		USER_SERVICE(UserServiceApplication.class, UserServiceApplication.CONFIG_NAME);

		final Class<?> mainClass;

		final String configName;

		Application(Class<?> mainClass, String configName) {
			this.mainClass = mainClass;
			this.configName = configName;
		}

	}

	/** Stops every application still running, then what the landscape itself started. */
	@Override
	void close() throws Exception;

}
