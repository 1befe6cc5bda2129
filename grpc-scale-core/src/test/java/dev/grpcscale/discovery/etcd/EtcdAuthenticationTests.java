package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.DiscoveryStatus;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;

import static dev.grpcscale.discovery.etcd.EtcdTestClients.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/** {@link EtcdServiceRegistry} against an etcd with authentication enabled. */
class EtcdAuthenticationTests {

	private static final String PASSWORD = "pw-9f3a7c";

	private static final String WRONG_PASSWORD = "wrong-4d2e1b";

	@Test
	void credentialsAuthenticateAndAreNeverShownEvenWhenRejected() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.startSingle()) {
			try (EtcdTestClients admin = new EtcdTestClients(etcd.clientEndpoints())) {
				var auth = admin.client.getAuthClient();
				auth.roleAdd(bytes("root")).get(10, TimeUnit.SECONDS);
				auth.userAdd(bytes("root"), bytes(PASSWORD)).get(10, TimeUnit.SECONDS);
				auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
				auth.authEnable().get(10, TimeUnit.SECONDS);
			}
			ServiceInstance instance = new ServiceInstance("orders", "i-1", "127.0.0.1", 9090, Map.of(),
					InstanceStatus.UP, Instant.now());
			try (EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
				.endpoints(etcd.clientEndpoints())
				.username("root")
				.password(PASSWORD)
				.build()) {
				registry.register(instance);
				assertThat(registry.getInstances("orders")).containsExactly(instance);
				DiscoveryStatus status = registry.status();
				assertThat(status.reachable()).isTrue();
				assertThat(status + registry.toString()).doesNotContain(PASSWORD);
			}
			try (EtcdServiceRegistry rejected = EtcdServiceRegistry.builder()
				.endpoints(etcd.clientEndpoints())
				.username("root")
				.password(WRONG_PASSWORD)
				.requestTimeout(Duration.ofSeconds(2))
				.build()) {
				assertThatExceptionOfType(DiscoveryException.class).isThrownBy(() -> rejected.register(instance))
					.satisfies((ex) -> assertThat(stackText(ex)).doesNotContain(WRONG_PASSWORD));
				DiscoveryStatus status = rejected.status();
				assertThat(status.reachable()).isFalse();
				assertThat(status.toString()).doesNotContain(WRONG_PASSWORD);
			}
		}
	}

	private static String stackText(Throwable ex) {
		java.io.StringWriter out = new java.io.StringWriter();
		ex.printStackTrace(new java.io.PrintWriter(out));
		return out.toString();
	}

}
