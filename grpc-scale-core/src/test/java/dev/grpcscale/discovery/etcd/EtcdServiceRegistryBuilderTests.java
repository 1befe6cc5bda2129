package dev.grpcscale.discovery.etcd;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/** Builder validation: no etcd needed, nothing is sent by {@code build()}. */
class EtcdServiceRegistryBuilderTests {

	@Test
	void leaseTtlBelowOneSecondIsRejected() {
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdServiceRegistry.builder().leaseTtl(Duration.ZERO))
			.withMessage("leaseTtl: PT0S (expected: >= 1s)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().leaseTtl(Duration.ofMillis(1500)))
			.withMessage("leaseTtl: PT1.5S (expected: whole seconds)");
	}

	@Test
	void requestTimeoutMustBePositive() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().requestTimeout(Duration.ofSeconds(-1)))
			.withMessage("requestTimeout: PT-1S (expected: > 0)");
	}

	@Test
	void endpointsMustBeHttpOrHttpsUrlsWithHostAndPort() {
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("127.0.0.1:2379"))
			.withMessageStartingWith("endpoints: '127.0.0.1:2379' (expected: http://host:port or https://host:port");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("http://localhost"))
			.withMessageStartingWith("endpoints: 'http://localhost'");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("http://localhost:2379/v3"))
			.withMessageStartingWith("endpoints: 'http://localhost:2379/v3'");
	}

	@Test
	void endpointWithUserInfoIsRejectedWithoutEchoingThePassword() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("http://root:s3cret@localhost:2379"))
			.withMessageNotContaining("s3cret")
			.withMessageStartingWith("endpoints: 'http://***@localhost'");
	}

	@Test
	void namespaceMustBeAnAbsolutePathWithoutTrailingSlash() {
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdServiceRegistry.builder().namespace("grpc"))
			.withMessageStartingWith("namespace: 'grpc' (expected: /segment");
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdServiceRegistry.builder().namespace("/grpc/"))
			.withMessageStartingWith("namespace: '/grpc/'");
		assertThat(EtcdServiceRegistry.builder().namespace("/team-a/prod").endpoints("http://127.0.0.1:2379").build())
			.satisfies((registry) -> {
				assertThat(registry.namespace()).isEqualTo("/team-a/prod");
				registry.close();
			});
	}

	@Test
	void buildNeedsEndpointsOrAClient() {
		assertThatIllegalArgumentException().isThrownBy(() -> EtcdServiceRegistry.builder().build())
			.withMessage("endpoints: [] (expected: at least one etcd client URL, or a client)");
	}

	@Test
	void usernameAndPasswordGoTogether() {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("http://127.0.0.1:2379").username("root").build())
			.withMessage("password: not set (expected: set together with username)");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("http://127.0.0.1:2379").password("pw").build())
			.withMessage("username: not set (expected: set together with password)");
	}

	@Test
	void givenClientExcludesConnectionSettings() {
		Client client = Client.builder().endpoints("http://127.0.0.1:2379").build();
		try {
			assertThatIllegalArgumentException()
				.isThrownBy(() -> EtcdServiceRegistry.builder().client(client).endpoints("http://127.0.0.1:2379").build())
				.withMessageStartingWith("client: given together with endpoints, credentials or TLS");
		}
		finally {
			client.close();
		}
	}

	@Test
	void tlsAndPlainEndpointsDoNotMix(@TempDir Path dir) throws Exception {
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("http://a:2379", "https://b:2379").build())
			.withMessageContaining("expected: all http:// or all https://");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("http://a:2379").tls(true).build())
			.withMessageContaining("expected: https:// endpoints when TLS is configured");
		Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().endpoints("https://a:2379").caFile(notPem).build())
			.withMessageContaining("expected: PEM certificates");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> EtcdServiceRegistry.builder().caFile(dir.resolve("missing.pem")))
			.withMessageEndingWith("missing.pem' (expected: a readable PEM file)");
	}

	@Test
	void toStringAndStatusNeverShowCredentials() {
		try (EtcdServiceRegistry registry = EtcdServiceRegistry.builder()
			.endpoints("http://127.0.0.1:1")
			.username("root")
			.password("s3cret-pw")
			.requestTimeout(Duration.ofMillis(300))
			.build()) {
			assertThat(registry.toString()).doesNotContain("s3cret-pw").doesNotContain("root");
			assertThat(registry.status().toString()).doesNotContain("s3cret-pw");
		}
	}

}
