package dev.grpcscale.discovery.etcd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.etcd.EtcdCluster.ServerTls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** {@link EtcdServiceRegistry} against an etcd serving TLS on its client port. */
class EtcdTlsTests {

	private static final ServiceInstance INSTANCE = new ServiceInstance("orders", "i-1", "127.0.0.1", 9090, Map.of(),
			InstanceStatus.UP, Instant.parse("2025-01-01T00:00:00Z"));

	@Test
	void registersAndDiscoversOverTlsTrustingTheGivenCa(@TempDir Path dir) {
		ServerTls tls = ServerTls.generate(dir);
		try (EtcdCluster etcd = EtcdCluster.startSingleTls(tls)) {
			assertThat(etcd.clientEndpoints()).allMatch((url) -> url.startsWith("https://"));
			try (EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
				.endpoints(etcd.clientEndpoints())
				.caFile(tls.ca())
				.build()) {
				registry.register(INSTANCE);
				assertThat(registry.getInstances("orders")).containsExactly(INSTANCE);
				assertThat(registry.status().reachable()).isTrue();
			}
		}
	}

	@Test
	void serverCertificateNotSignedByTheTrustedCaIsRefused(@TempDir Path dir) throws Exception {
		ServerTls tls = ServerTls.generate(Files.createDirectories(dir.resolve("server")));
		ServerTls other = ServerTls.generate(Files.createDirectories(dir.resolve("other")));
		try (EtcdCluster etcd = EtcdCluster.startSingleTls(tls);
				EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
					.endpoints(etcd.clientEndpoints())
					.caFile(other.ca())
					.requestTimeout(Duration.ofSeconds(2))
					.build()) {
			assertThatExceptionOfType(DiscoveryException.class).isThrownBy(() -> registry.register(INSTANCE));
			assertThat(registry.status().reachable()).isFalse();
		}
	}

}
