package dev.grpcscale.docs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.bind.BoundPropertiesTrackingBindHandler;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.bind.validation.ValidationBindHandler;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.validation.ObjectError;
import org.springframework.validation.Validator;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.grpcscale.autoconfigure.GrpcScaleCircuitBreakerProperties;
import dev.grpcscale.autoconfigure.GrpcScaleClusterProperties;
import dev.grpcscale.autoconfigure.GrpcScaleDiscoveryProperties;
import dev.grpcscale.autoconfigure.GrpcScaleHealthCheckProperties;
import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.autoconfigure.GrpcScaleTracingProperties;
import dev.grpcscale.docs.MarkdownBlocks.Block;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Binds every YAML block of the guide as an application's configuration would be bound: each
 * {@code grpc.scale.*} key onto grpc-scale's properties classes, validated by their own rules (a bad value
 * fails with the message a user would get; only "a readable" file's absence is let pass, the reader's
 * certificates and key stores not being on this machine), and failing on a key no class binds; every other key must be
 * one that Spring Boot's configuration metadata on this module's class path knows (the starter's
 * modules, Actuator, Spring gRPC), or lie under a map or list property of it. A block that is not Spring
 * configuration (a Kubernetes manifest) says so with {@code <!-- not spring configuration: why -->}.
 */
class DocsYamlTests {

	private static final String NOT_SPRING = "not spring configuration";

	private static final Set<String> SPRING_ROOTS = Set.of("grpc", "spring", "management", "server", "logging");

	private static final ConfigurationPropertyName GRPC_SCALE = ConfigurationPropertyName.of("grpc.scale");

	private static final List<Supplier<? extends Validator>> PROPERTIES = List.of(GrpcScaleProperties::new,
			GrpcScaleDiscoveryProperties::new, GrpcScaleCircuitBreakerProperties::new,
			GrpcScaleHealthCheckProperties::new, GrpcScaleTracingProperties::new, GrpcScaleClusterProperties::new);

	@Test
	void everyYamlBlockBindsOntoTheRealProperties() {
		Map<String, String> metadata = metadata();
		List<String> problems = new ArrayList<>();
		int checked = 0;
		for (java.nio.file.Path page : pages()) {
			for (Block block : MarkdownBlocks.blocks(page)) {
				if (!block.language().equals("yaml") && !block.language().equals("yml")) {
					continue;
				}
				if (block.marker() != null && block.marker().startsWith(NOT_SPRING)) {
					problems.addAll(springKeysIn(block));
					continue;
				}
				problems.addAll(check(block, metadata));
				checked++;
			}
		}
		assertThat(checked).as("YAML blocks checked").isGreaterThan(10);
		assertThat(problems).isEmpty();
	}

	@Test
	void aMistypedKeyAndABadValueAreCaught() {
		Map<String, String> metadata = metadata();
		assertThat(check(yaml("grpc:\n  scale:\n    circuit-breaker:\n      failure-treshold: 3"), metadata))
			.singleElement()
			.asString()
			.contains("grpc.scale.circuit-breaker.failure-treshold");
		assertThat(check(yaml("grpc.scale.health-check.retries: 0"), metadata)).singleElement()
			.asString()
			.contains("retries: '0'");
		assertThat(check(yaml("spring.grpc.client.channels.products.target: discovery:///products"), metadata))
			.singleElement()
			.asString()
			.contains("spring.grpc.client.channels.products.target");
		assertThat(check(yaml("spring.grpc.client.channel.products.target: discovery:///products"), metadata))
			.isEmpty();
		// the marker for Kubernetes manifests exempts no application properties
		Block marked = new Block(MarkdownBlocks.ROOT.resolve("inline.md"), 1, "yaml", NOT_SPRING + ": a manifest",
				"kind: Service\nmetadata:\n  name: users\n---\ngrpc:\n  scale:\n    health-check:\n      retries: 0");
		assertThat(springKeysIn(marked)).singleElement().asString().contains("grpc.scale.health-check.retries");
	}

	/**
	 * The keys of a block marked as not Spring configuration that are Spring configuration all the same (under
	 * {@code grpc}, {@code spring}, {@code management}, {@code server} or {@code logging}): the marker exempts a
	 * Kubernetes manifest from binding, never application properties.
	 */
	private static List<String> springKeysIn(Block block) {
		List<String> problems = new ArrayList<>();
		List<PropertySource<?>> documents = documents(block, problems);
		for (PropertySource<?> document : documents) {
			for (String key : ((EnumerablePropertySource<?>) document).getPropertyNames()) {
				if (SPRING_ROOTS.contains(key.split("[.\\[]", 2)[0])) {
					problems.add(block.where() + ": Spring configuration in a block marked '" + NOT_SPRING + "': " + key);
				}
			}
		}
		return problems;
	}

	/** The YAML documents of a block; none, with a problem, when it is not YAML. */
	private static List<PropertySource<?>> documents(Block block, List<String> problems) {
		try {
			return new YamlPropertySourceLoader().load(block.where(),
					new ByteArrayResource(block.body().getBytes(StandardCharsets.UTF_8)));
		}
		catch (IOException | RuntimeException ex) {
			problems.add(block.where() + ": not YAML: " + ex.getMessage());
			return List.of();
		}
	}

	private static List<java.nio.file.Path> pages() {
		return MarkdownBlocks.pages();
	}

	private static Block yaml(String body) {
		return new Block(MarkdownBlocks.ROOT.resolve("inline.md"), 1, "yaml", null, body);
	}

	private static List<String> check(Block block, Map<String, String> metadata) {
		List<String> problems = new ArrayList<>();
		List<PropertySource<?>> documents = documents(block, problems);
		for (PropertySource<?> document : documents) {
			StandardEnvironment environment = new StandardEnvironment();
			environment.getPropertySources().addFirst(document);
			Binder binder = Binder.get(environment);
			Set<ConfigurationPropertyName> bound = new HashSet<>();
			for (Supplier<? extends Validator> supplier : PROPERTIES) {
				Validator properties = supplier.get();
				((org.springframework.context.EnvironmentAware) properties).setEnvironment(environment);
				String prefix = properties.getClass().getAnnotation(ConfigurationProperties.class).value();
				try {
					binder.bind(prefix, Bindable.ofInstance(properties), new ValidationBindHandler(
							new BoundPropertiesTrackingBindHandler((property) -> bound.add(property.getName())),
							properties));
				}
				catch (BindException ex) {
					if (ex.getCause() instanceof BindValidationException invalid) {
						// the files a snippet names (certificates, key stores) are the reader's, not on this machine
						invalid.getValidationErrors()
							.getAllErrors()
							.stream()
							.map(ObjectError::getDefaultMessage)
							.filter((message) -> message == null || !message.contains("(expected: a readable"))
							.forEach((message) -> problems.add(block.where() + ": " + message));
					}
					else {
						problems.add(block.where() + ": " + ((ex.getCause() != null) ? ex.getCause() : ex).getMessage());
					}
				}
			}
			for (String key : ((EnumerablePropertySource<?>) document).getPropertyNames()) {
				if (!ConfigurationPropertyName.isValid(key)) {
					problems.add(block.where() + ": not a Spring property name " + key);
					continue;
				}
				ConfigurationPropertyName name = ConfigurationPropertyName.of(key);
				boolean known = GRPC_SCALE.isAncestorOf(name) ? bound.contains(name) : known(key, metadata);
				if (!known) {
					problems.add(block.where() + ": unknown key " + key);
				}
			}
		}
		return problems;
	}

	private static boolean known(String key, Map<String, String> metadata) {
		String name = key.replaceAll("\\[\\d+\\]", "");
		if (metadata.containsKey(name)) {
			return true;
		}
		for (int dot = name.lastIndexOf('.'); dot > 0; dot = name.lastIndexOf('.', dot - 1)) {
			String type = metadata.get(name.substring(0, dot));
			if (type != null && (type.startsWith("java.util.Map") || type.startsWith("java.util.List")
					|| type.startsWith("java.util.Set") || type.startsWith("java.util.Properties"))) {
				return true;
			}
		}
		return false;
	}

	/** Every property of the configuration metadata on the class path: its name and type. */
	private static Map<String, String> metadata() {
		Map<String, String> properties = new HashMap<>();
		JsonMapper json = JsonMapper.builder().build();
		try {
			for (URL url : Collections.list(DocsYamlTests.class.getClassLoader()
				.getResources("META-INF/spring-configuration-metadata.json"))) {
				try (InputStream in = url.openStream()) {
					JsonNode root = json.readTree(in);
					for (String section : List.of("groups", "properties")) {
						root.path(section).forEach((property) -> properties.putIfAbsent(
								property.get("name").asString(), property.path("type").asString("")));
					}
				}
			}
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		assertThat(properties).containsKey("spring.application.name").containsKey("grpc.scale.cluster.provider");
		return properties;
	}

}
