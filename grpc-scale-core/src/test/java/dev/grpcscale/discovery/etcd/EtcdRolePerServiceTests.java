package dev.grpcscale.discovery.etcd;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import io.etcd.jetcd.auth.Permission;
import org.junit.jupiter.api.Test;

import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.InstanceStatus;
import dev.grpcscale.discovery.ServiceInstance;
import dev.grpcscale.test.etcd.EtcdCluster;

import static dev.grpcscale.discovery.etcd.EtcdTestClients.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The etcd access docs/security.md recommends, against the etcd binary with authentication on: one role
 * per service, read-write on its own registrations' prefix and read-only on every service's, lets a
 * service register itself and discover the others, and nothing more.
 */
class EtcdRolePerServiceTests {

	private static final String ROOT_PASSWORD = "root-pw-61c0";

	private static final String SERVICE_PASSWORD = "users-pw-9e2d";

	@Test
	void roleScopedToItsOwnPrefixRegistersItselfDiscoversOthersAndCannotWriteTheirs() throws Exception {
		try (EtcdCluster etcd = EtcdCluster.startSingle()) {
			try (EtcdTestClients admin = new EtcdTestClients(etcd.clientEndpoints())) {
				var auth = admin.client.getAuthClient();
				auth.roleAdd(bytes("root")).get(10, TimeUnit.SECONDS);
				auth.userAdd(bytes("root"), bytes(ROOT_PASSWORD)).get(10, TimeUnit.SECONDS);
				auth.userGrantRole(bytes("root"), bytes("root")).get(10, TimeUnit.SECONDS);
				auth.roleAdd(bytes("user-service")).get(10, TimeUnit.SECONDS);
				grantPrefix(admin.client, "/grpc-scale/services/user-service/", Permission.Type.READWRITE);
				grantPrefix(admin.client, "/grpc-scale/services/", Permission.Type.READ);
				auth.userAdd(bytes("user-service"), bytes(SERVICE_PASSWORD)).get(10, TimeUnit.SECONDS);
				auth.userGrantRole(bytes("user-service"), bytes("user-service")).get(10, TimeUnit.SECONDS);
				auth.authEnable().get(10, TimeUnit.SECONDS);
			}
			ServiceInstance products = instance("product-service", "p-1", 9091);
			try (EtcdServiceRegistry root = registry(etcd, "root", ROOT_PASSWORD);
					EtcdServiceRegistry users = registry(etcd, "user-service", SERVICE_PASSWORD)) {
				root.register(products);
				ServiceInstance self = instance("user-service", "u-1", 9090);
				users.register(self);
				assertThat(users.getInstances("user-service")).containsExactly(self);
				assertThat(users.getInstances("product-service")).containsExactly(products);

				assertThatExceptionOfType(DiscoveryException.class)
					.isThrownBy(() -> users.register(instance("product-service", "fake", 6666)));
				assertThat(users.getInstances("product-service")).containsExactly(products);
				assertThat(users.deregister("product-service", "p-1")).isFalse();
				try (Client raw = Client.builder()
					.endpoints(etcd.clientEndpoints().toArray(String[]::new))
					.user(bytes("user-service"))
					.password(bytes(SERVICE_PASSWORD))
					.build()) {
					assertThatExceptionOfType(java.util.concurrent.ExecutionException.class)
						.isThrownBy(() -> raw.getKVClient()
							.delete(bytes("/grpc-scale/services/product-service/p-1"))
							.get(10, TimeUnit.SECONDS))
						.withMessageContaining("permission denied");
				}
				assertThat(users.getInstances("product-service")).containsExactly(products);
				assertThat(users.deregister("user-service", "u-1")).isTrue();
			}
		}
	}

	private static void grantPrefix(Client client, String prefix, Permission.Type type) throws Exception {
		byte[] end = prefix.getBytes(java.nio.charset.StandardCharsets.UTF_8);
		end[end.length - 1]++;
		client.getAuthClient()
			.roleGrantPermission(bytes("user-service"), bytes(prefix), io.etcd.jetcd.ByteSequence.from(end), type)
			.get(10, TimeUnit.SECONDS);
	}

	private static EtcdServiceRegistry registry(EtcdCluster etcd, String user, String password) {
		return EtcdServiceRegistry.builder()
			.endpoints(etcd.clientEndpoints())
			.username(user)
			.password(password)
			.requestTimeout(java.time.Duration.ofSeconds(3))
			.build();
	}

	private static ServiceInstance instance(String service, String id, int port) {
		return new ServiceInstance(service, id, "127.0.0.1", port, Map.of(), InstanceStatus.UP, Instant.now());
	}

}
