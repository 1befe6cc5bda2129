package dev.grpcscale.examples.demo;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.discovery.InMemoryServiceRegistry;
import dev.grpcscale.discovery.ServiceDiscovery;
import dev.grpcscale.examples.product.app.ExampleEndpoint;

/**
 * The embedded default: every application is a Spring Boot context in this JVM, serving gRPC over Netty
 * on 127.0.0.1, all sharing the in-memory discovery namespace {@value #NAMESPACE}. Nothing to install.
 */
final class InProcessLandscape implements Landscape {

	static final String NAMESPACE = "demo";

	private static final JsonMapper JSON = JsonMapper.shared();

	private final InMemoryServiceRegistry discovery = InMemoryServiceRegistry.shared(NAMESPACE);

	private final Map<String, ConfigurableApplicationContext> contexts = new LinkedHashMap<>();

	@Override
	public String description() {
		return "product-service and user-service in this JVM on embedded defaults (memory discovery)";
	}

	@Override
	public ServiceDiscovery discovery() {
		return this.discovery;
	}

	/** One after the other, in the map's order. */
	@Override
	public void start(Map<String, Application> applications) {
		applications.forEach((instanceName, application) -> start(application, instanceName));
	}

	private void start(Application application, String instanceName) {
		// the applications' own configuration files, overridden as command-line arguments would be:
		// free ports on 127.0.0.1, no HTTP server, a quiet log
		ConfigurableApplicationContext context = new SpringApplicationBuilder(application.mainClass)
			.properties("spring.config.name=" + application.configName)
			.run("--example.instance-name=" + instanceName, "--spring.grpc.server.port=0",
					"--spring.grpc.server.address=127.0.0.1", "--spring.grpc.server.shutdown.grace-period=5s",
					"--spring.main.banner-mode=off", "--spring.main.web-application-type=none",
					"--logging.level.root=WARN", "--grpc.scale.service-discovery.memory.namespace=" + NAMESPACE);
		this.contexts.put(instanceName, context);
	}

	@Override
	public JsonNode status(String instanceName) {
		return JSON.valueToTree(context(instanceName).getBean(EnhancedServiceManager.class).getEnhancedServiceStatus());
	}

	@Override
	public JsonNode example(String instanceName) {
		return JSON.valueToTree(context(instanceName).getBean(ExampleEndpoint.class).state());
	}

	@Override
	public void setFailing(String instanceName, boolean failing) {
		context(instanceName).getBean(ExampleEndpoint.class).failing(failing);
	}

	@Override
	public void stop(String instanceName) {
		ConfigurableApplicationContext context = this.contexts.remove(instanceName);
		if (context != null) {
			context.close();
		}
	}

	private ConfigurableApplicationContext context(String instanceName) {
		ConfigurableApplicationContext context = this.contexts.get(instanceName);
		if (context == null) {
			throw new IllegalArgumentException("No running application '" + instanceName + "'");
		}
		return context;
	}

	@Override
	public void close() {
		List<String> running = new ArrayList<>(this.contexts.keySet());
		Collections.reverse(running);
		running.forEach(this::stop);
		this.discovery.close();
	}

}
