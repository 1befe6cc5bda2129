package dev.grpcscale.autoconfigure;

import java.util.List;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.Environment;

import dev.grpcscale.discovery.DiscoveryException;

/**
 * Reports a discovery backend that failed a request while the application started, typically the
 * registration made once the gRPC server is up: the provider, where it was looked for, and the backend's
 * answer, instead of a stack trace through Boot's server lifecycle.
 */
class DiscoveryFailureAnalyzer extends AbstractFailureAnalyzer<DiscoveryException> {

	private static final String PREFIX = "grpc.scale.service-discovery.";

	private final Environment environment;

	DiscoveryFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, DiscoveryException cause) {
		String provider = this.environment.getProperty(PREFIX + "provider", "memory");
		StringBuilder description = new StringBuilder(
				String.format("A service discovery request failed while the application was starting.%n%n"));
		description.append(String.format("    Provider: %s%n", provider));
		for (String key : where(provider)) {
			description.append(String.format("    %s: %s%n", key, this.environment.getProperty(key, "(default)")));
		}
		description.append(String.format("    Failure: %s%n%n", cause.getMessage()));
		description.append("An instance its clients cannot discover would serve nobody, so the application does "
				+ "not start unregistered.");
		String action = "Start the discovery backend, or make it reachable from this host with the settings above "
				+ "(address, credentials, TLS); or run without it with " + PREFIX + "provider=memory. "
				+ "See docs/discovery.md and docs/troubleshooting.md.";
		return new FailureAnalysis(description.toString(), action, cause);
	}

	private static List<String> where(String provider) {
		return switch (provider) {
			case "etcd" -> List.of(PREFIX + "etcd.endpoints", PREFIX + "etcd.namespace");
			case "consul" -> List.of(PREFIX + "consul.host", PREFIX + "consul.port", PREFIX + "consul.scheme");
			default -> List.of();
		};
	}

}
