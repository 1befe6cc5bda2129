package dev.grpcscale.autoconfigure.discovery;

import org.jspecify.annotations.Nullable;
import org.springframework.core.env.Environment;

import dev.grpcscale.discovery.DiscoveryNameResolverProvider;

/**
 * Which service a channel made by Boot's {@code GrpcChannelFactory} calls through discovery. Channel
 * customizers receive what the channel was asked for: a target, or the name of a configured channel, whose
 * target is {@code spring.grpc.client.channel.<name>.target}.
 */
public final class DiscoveryChannels {

	private DiscoveryChannels() {
	}

	/**
	 * The service of a {@code discovery:///<service>} channel.
	 * @param environment where the configured channels' targets are read
	 * @param requested a target, or the name of a configured channel
	 * @return the service name, or {@code null} when the channel does not go through discovery
	 */
	public static @Nullable String serviceName(Environment environment, String requested) {
		String target = environment.getProperty("spring.grpc.client.channel." + requested + ".target", requested);
		return DiscoveryNameResolverProvider.serviceName(target.trim());
	}

}
