package dev.grpcscale.autoconfigure.health;

import java.util.Map;
import java.util.function.Function;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import org.springframework.boot.grpc.client.autoconfigure.GrpcClientProperties;
import org.springframework.grpc.client.ChannelCredentialsProvider;

import dev.grpcscale.autoconfigure.discovery.DiscoveryAuthority;
import dev.grpcscale.discovery.DiscoveryNameResolverProvider;
import dev.grpcscale.discovery.ServiceInstance;

/**
 * Makes the channel that probes one discovered instance with the transport security of the calls to its
 * service: the credentials Boot's {@link ChannelCredentialsProvider} gives the channel configured with the
 * target {@code discovery:///<service>} ({@code spring.grpc.client.channel.<name>.ssl.*}, an SSL bundle
 * with client certificates included), or, when no channel is configured with that target, those it gives
 * the target itself (the {@code default} channel's settings), exactly as for a channel created with
 * {@code createChannel("discovery:///<service>")}. The authority checked against the server's certificate
 * is the one the {@code discovery:///} call channels use ({@link DiscoveryAuthority}): the service name
 * unless {@code grpc.scale.service-discovery.authority.<service>} says otherwise.
 *
 * <p>Probe channels are built here rather than by Boot's {@code GrpcChannelFactory}: its channels carry
 * the application's global interceptors (circuit breakers, observations), which must not count or trace
 * probes, and it keeps every channel it made until the context closes, which instances that come and go
 * for months would turn into a leak.
 */
public class ProbeChannelFactory implements Function<ServiceInstance, ManagedChannel> {

	private final ChannelCredentialsProvider credentials;

	private final GrpcClientProperties clientProperties;

	private final Map<String, String> authorities;

	/**
	 * Creates the factory.
	 * @param credentials Boot's credentials of named channels
	 * @param clientProperties Boot's {@code spring.grpc.client.*} properties, to find the channel of a service
	 * @param authorities {@code grpc.scale.service-discovery.authority}, by service
	 */
	public ProbeChannelFactory(ChannelCredentialsProvider credentials, GrpcClientProperties clientProperties,
			Map<String, String> authorities) {
		this.credentials = credentials;
		this.clientProperties = clientProperties;
		this.authorities = Map.copyOf(authorities);
	}

	@Override
	public ManagedChannel apply(ServiceInstance instance) {
		ChannelCredentials channelCredentials = this.credentials.getChannelCredentials(channelOf(instance.serviceName()));
		return Grpc.newChannelBuilderForAddress(instance.host(), instance.port(), channelCredentials)
			.overrideAuthority(DiscoveryAuthority.of(this.authorities, instance))
			.build();
	}

	/**
	 * The name Boot's credentials are looked up by for the calls to a service: that of the configured channel
	 * whose target is {@code discovery:///<service>}, else that target.
	 */
	String channelOf(String serviceName) {
		for (Map.Entry<String, GrpcClientProperties.Channel> channel : this.clientProperties.getChannel().entrySet()) {
			String target = channel.getValue().getTarget();
			if (target != null && serviceName.equals(DiscoveryNameResolverProvider.serviceName(target.trim()))) {
				return channel.getKey();
			}
		}
		return DiscoveryNameResolverProvider.SCHEME + ":///" + serviceName;
	}

}
