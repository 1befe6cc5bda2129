package dev.grpcscale.autoconfigure.discovery;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.springframework.boot.context.properties.PropertyMapper;

import dev.grpcscale.autoconfigure.ConsulConnections;
import dev.grpcscale.autoconfigure.GrpcScaleProperties;
import dev.grpcscale.autoconfigure.InvalidGrpcScalePropertiesException;
import dev.grpcscale.consul.ConsulClient;
import dev.grpcscale.discovery.consul.ConsulCheckType;
import dev.grpcscale.discovery.consul.ConsulServiceRegistry;

/**
 * Builds the application's {@link ConsulClient} and a {@link ConsulServiceRegistry} on it from
 * {@code grpc.scale.service-discovery.consul.*}; a value a builder rejects, or a trust store that cannot be
 * read, stops start-up with the property's name. The token and the trust store password are never part of a
 * message.
 */
final class ConsulRegistryFactory {

	static final String PREFIX = "grpc.scale.service-discovery.consul.";

	/** Builder setting to property, relative to the prefix. */
	private static final Map<String, String> PROPERTIES;

	static {
		Map<String, String> properties = new HashMap<>(ConsulConnections.PROPERTIES);
		properties.putAll(Map.of("datacenter", "datacenter", "checkType", "check-type", "checkInterval",
				"check-interval", "deregisterCriticalAfter", "deregister-critical-after", "tags", "tags",
				"blockingQueryWait", "blocking-query-wait"));
		PROPERTIES = Map.copyOf(properties);
	}

	private ConsulRegistryFactory() {
	}

	/** The client of the connection settings. */
	static ConsulClient client(GrpcScaleProperties.Consul consul) {
		try {
			return ConsulClient.create(ConsulConnections.connection(consul));
		}
		catch (IllegalArgumentException ex) {
			throw InvalidGrpcScalePropertiesException.fromBuilder(PREFIX, PROPERTIES, ex);
		}
	}

	/** The registry on a client it does not own. */
	static ConsulServiceRegistry create(GrpcScaleProperties.Consul consul, ConsulClient client) {
		try {
			ConsulServiceRegistry.Builder builder = ConsulServiceRegistry.builder().client(client);
			PropertyMapper map = PropertyMapper.get();
			map.from(consul::getDatacenter).to(builder::datacenter);
			map.from(consul::getCheckType).as(ConsulRegistryFactory::checkType).to(builder::checkType);
			map.from(consul::isGrpcUseTls).to(builder::grpcUseTls);
			map.from(consul::getCheckInterval).to(builder::checkInterval);
			map.from(consul::getDeregisterCriticalAfter).to(builder::deregisterCriticalAfter);
			map.from(consul::getTags).to(builder::tags);
			map.from(consul::getBlockingQueryWait).to(builder::blockingQueryWait);
			return builder.build();
		}
		catch (IllegalArgumentException ex) {
			throw InvalidGrpcScalePropertiesException.fromBuilder(PREFIX, PROPERTIES, ex);
		}
	}

	private static ConsulCheckType checkType(String value) {
		try {
			return ConsulCheckType.valueOf(value.strip().toUpperCase(Locale.ROOT));
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalArgumentException("checkType: '" + value + "' (expected: grpc or ttl)");
		}
	}

}
