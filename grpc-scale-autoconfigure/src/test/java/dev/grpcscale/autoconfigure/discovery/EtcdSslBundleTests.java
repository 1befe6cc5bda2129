package dev.grpcscale.autoconfigure.discovery;

import java.nio.file.Path;
import java.time.Duration;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ssl.SslAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.GrpcScaleAutoConfiguration;
import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.cluster.LeaderElection;
import dev.grpcscale.cluster.etcd.EtcdLeaderElection;
import dev.grpcscale.discovery.DiscoveryException;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.etcd.EtcdCluster.ServerTls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Discovery and the cluster on an etcd that serves TLS and requires client certificates
 * ({@code --client-cert-auth}), connected through a Spring Boot SSL bundle: the etcd binary, certificates
 * made for the run.
 */
class EtcdSslBundleTests {

	@TempDir
	static Path directory;

	private static ServerTls tls;

	private static EtcdCluster etcd;

	@BeforeAll
	static void startEtcd() {
		tls = ServerTls.generateWithClientCertAuth(directory);
		etcd = EtcdCluster.startSingleTls(tls);
	}

	@AfterAll
	static void stopEtcd() {
		etcd.close();
	}

	private ApplicationContextRunner runner() {
		return new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(SslAutoConfiguration.class, GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
			.withPropertyValues("spring.application.name=orders", "grpc.scale.service-discovery.provider=etcd",
					"grpc.scale.service-discovery.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
					"grpc.scale.service-discovery.etcd.namespace=/bundle-" + System.nanoTime(),
					"grpc.scale.service-discovery.etcd.request-timeout=3s",
					"grpc.scale.service-discovery.etcd.tls.bundle=etcd",
					"grpc.scale.cluster.heartbeat-interval=200ms", "grpc.scale.cluster.election-timeout=1s",
					"spring.ssl.bundle.pem.etcd.truststore.certificate=file:" + tls.ca());
	}

	@Test
	void discoveryAndTheClusterShareOneClientOnTheBundlesClientCertificate() {
		runner().withPropertyValues("spring.ssl.bundle.pem.etcd.keystore.certificate=file:" + tls.client().certificateChain(),
				"spring.ssl.bundle.pem.etcd.keystore.private-key=file:" + tls.client().privateKey())
			.run((context) -> {
				assertThat(context).hasNotFailed().hasSingleBean(Client.class).hasSingleBean(EtcdLeaderElection.class);
				EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
				manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
				await().atMost(Duration.ofSeconds(10)).until(() -> manager.discoverServices("orders").size() == 1);
				await().atMost(Duration.ofSeconds(10)).until(context.getBean(LeaderElection.class)::isLeader);
			});
	}

	@Test
	void aBundleWithoutTheClientCertificateIsRefusedByEtcd() {
		runner().run((context) -> {
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			assertThatExceptionOfType(DiscoveryException.class).isThrownBy(
					() -> manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090)));
			assertThat(manager.getEnhancedServiceStatus().discovery().backend().reachable()).isFalse();
		});
	}

}
