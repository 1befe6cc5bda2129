package dev.grpcscale.examples.demo;

import tools.jackson.databind.JsonNode;

import dev.grpcscale.discovery.ServiceDiscovery;

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
	 * Starts a product-service instance and returns once it has registered.
	 * @param instanceName its name
	 */
	void startProduct(String instanceName) throws Exception;

	/**
	 * Starts a user-service instance and returns once it has registered.
	 * @param instanceName its name
	 */
	void startUser(String instanceName) throws Exception;

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

	/** Stops every application still running, then what the landscape itself started. */
	@Override
	void close() throws Exception;

}
