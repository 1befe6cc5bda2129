package dev.grpcscale.test.etcd;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.grpcscale.test.etcd.EtcdCluster.ServerTls;
import dev.grpcscale.test.tls.TestCertificates;

import static org.assertj.core.api.Assertions.assertThat;

class EtcdCommandLineTests {

	private final MemberEndpoints first = new MemberEndpoints("m0", "http", 20001, 20002, 30002, Path.of("/tmp/c/m0"));

	private final MemberEndpoints second = new MemberEndpoints("m1", "http", 20003, 20004, 30004, Path.of("/tmp/c/m1"));

	@Test
	void memberListensOnItsOwnPeerPortAndAdvertisesTheProxysToEveryMember() {
		List<String> command = new EtcdCommandLine("/usr/bin/etcd", "t", Duration.ofMillis(50), Duration.ofMillis(500),
				null)
			.of(this.second, List.of(this.first, this.second));
		assertThat(command.get(0)).isEqualTo("/usr/bin/etcd");
		assertThat(argument(command, "--name")).isEqualTo("m1");
		assertThat(argument(command, "--listen-peer-urls")).isEqualTo("http://127.0.0.1:20004");
		assertThat(argument(command, "--initial-advertise-peer-urls")).isEqualTo("http://127.0.0.1:30004");
		assertThat(argument(command, "--initial-cluster"))
			.isEqualTo("m0=http://127.0.0.1:30002,m1=http://127.0.0.1:30004");
		assertThat(argument(command, "--listen-client-urls")).isEqualTo("http://127.0.0.1:20003");
		assertThat(argument(command, "--advertise-client-urls")).isEqualTo("http://127.0.0.1:20003");
	}

	@Test
	void raftTimingsTokenDataDirectoryAndLogComeFromTheCluster() {
		List<String> command = new EtcdCommandLine("etcd", "grpc-scale-1f", Duration.ofMillis(100),
				Duration.ofSeconds(1), null)
			.of(this.first, List.of(this.first));
		assertThat(argument(command, "--heartbeat-interval")).isEqualTo("100");
		assertThat(argument(command, "--election-timeout")).isEqualTo("1000");
		assertThat(argument(command, "--initial-cluster-token")).isEqualTo("grpc-scale-1f");
		assertThat(argument(command, "--initial-cluster-state")).isEqualTo("new");
		assertThat(argument(command, "--data-dir")).isEqualTo("/tmp/c/m0");
		assertThat(argument(command, "--log-outputs")).isEqualTo("/tmp/c/m0.log");
	}

	@Test
	void plainMemberHasNoTlsFlags() {
		List<String> command = new EtcdCommandLine("etcd", "t", Duration.ofMillis(50), Duration.ofMillis(500), null)
			.of(this.first, List.of(this.first));
		assertThat(command).doesNotContain("--cert-file", "--key-file", "--client-cert-auth", "--trusted-ca-file");
	}

	@Test
	void tlsMemberServesItsCertificateAndRequiresClientCertificatesOnlyWhenAsked() {
		ServerTls serverOnly = new ServerTls(Path.of("/tls/server.pem"), Path.of("/tls/server.key"),
				Path.of("/tls/ca.pem"), null);
		List<String> command = new EtcdCommandLine("etcd", "t", Duration.ofMillis(50), Duration.ofMillis(500),
				serverOnly)
			.of(this.first, List.of(this.first));
		assertThat(argument(command, "--cert-file")).isEqualTo("/tls/server.pem");
		assertThat(argument(command, "--key-file")).isEqualTo("/tls/server.key");
		assertThat(command).doesNotContain("--client-cert-auth", "--trusted-ca-file");
	}

	@Test
	void clientCertAuthTrustsTheCaForClients() {
		ServerTls tls = new ServerTls(Path.of("/tls/server.pem"), Path.of("/tls/server.key"), Path.of("/tls/ca.pem"),
				new TestCertificates.Identity(Path.of("/tls/client.p12"), Path.of("/tls/client.pem"),
						Path.of("/tls/client.key")));
		List<String> command = new EtcdCommandLine("etcd", "t", Duration.ofMillis(50), Duration.ofMillis(500), tls)
			.of(this.first, List.of(this.first));
		assertThat(command).contains("--client-cert-auth");
		assertThat(argument(command, "--trusted-ca-file")).isEqualTo("/tls/ca.pem");
	}

	private static String argument(List<String> command, String flag) {
		int index = command.indexOf(flag);
		assertThat(index).as(flag).isGreaterThan(0);
		return command.get(index + 1);
	}

}
