package dev.grpcscale.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.RejectedExecutionException;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import dev.grpcscale.EnhancedServiceManager;
import dev.grpcscale.autoconfigure.cluster.GrpcScaleClusterAutoConfiguration;
import dev.grpcscale.autoconfigure.discovery.GrpcScaleDiscoveryAutoConfiguration;
import dev.grpcscale.discovery.ServiceDefinition;
import dev.grpcscale.test.etcd.EtcdCluster;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An application on etcd (discovery and leader election on one client) that stops while etcd is paused
 * (SIGSTOP), on a real etcd: the context closes within its bound (request timeout 1 s, election timeout 3 s),
 * logs no stack trace and no {@link RejectedExecutionException}, and each warning names the etcd lease it left
 * to expire.
 */
class EtcdApplicationShutdownTests {

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private final ListAppender<ILoggingEvent> log = new ListAppender<>();

	private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

	@BeforeEach
	void captureLog() {
		this.log.start();
		this.root.addAppender(this.log);
	}

	@AfterEach
	void releaseLog() {
		this.root.detachAppender(this.log);
	}

	@Test
	void stoppingWhileEtcdIsPausedEndsWithinItsBoundWithWarningsNamingTheLeasesAndNoStackTraces() {
		EtcdCluster etcd = this.resources.track(EtcdCluster.startSingle());
		ApplicationContextRunner runner = new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(GrpcScaleAutoConfiguration.class,
					GrpcScaleDiscoveryAutoConfiguration.class, GrpcScaleClusterAutoConfiguration.class))
			.withPropertyValues("spring.application.name=orders", "grpc.scale.service-discovery.provider=etcd",
					"grpc.scale.service-discovery.etcd.endpoints=" + String.join(",", etcd.clientEndpoints()),
					"grpc.scale.service-discovery.etcd.namespace=/" + UUID.randomUUID(),
					"grpc.scale.service-discovery.etcd.request-timeout=1s",
					"grpc.scale.service-discovery.etcd.lease-ttl=3s", "grpc.scale.cluster.provider=etcd",
					"grpc.scale.cluster.heartbeat-interval=500ms", "grpc.scale.cluster.election-timeout=3s");
		long[] closing = new long[1];
		runner.run((context) -> {
			EnhancedServiceManager manager = context.getBean(EnhancedServiceManager.class);
			manager.registerServiceWithDiscovery(ServiceDefinition.of("orders", "127.0.0.1", 9090));
			await().atMost(Duration.ofSeconds(20)).until(manager::isLeader);
			assertThat(manager.discoverServices("orders")).hasSize(1);
			this.log.list.clear();
			etcd.pause(0);
			closing[0] = System.nanoTime();
		});
		Duration closed = Duration.ofNanos(System.nanoTime() - closing[0]);
		List<ILoggingEvent> events = List.copyOf(this.log.list);
		etcd.resume(0);

		// deregistration (1.5 request timeouts), resignation (1 election timeout), the registry's close (1 request
		// timeout): 6.5 s, with room for a busy machine
		assertThat(closed).isLessThan(Duration.ofSeconds(12));
		List<ILoggingEvent> warnings = events.stream()
			.filter((event) -> event.getLevel().isGreaterOrEqual(Level.WARN))
			.toList();
		assertThat(warnings).allSatisfy((event) -> assertThat(event.getThrowableProxy()).isNull());
		assertThat(warnings).map(ILoggingEvent::getFormattedMessage)
			.anySatisfy((message) -> assertThat(message).containsPattern("without closing etcd lease [0-9a-f]+"))
			.anySatisfy((message) -> assertThat(message).contains("orders/", "expire")
				.containsPattern("lease [0-9a-f]+"));
		assertThat(events).noneSatisfy((event) -> assertThat(mentionsRejection(event)).isTrue());
	}

	private static boolean mentionsRejection(ILoggingEvent event) {
		if (event.getFormattedMessage().contains(RejectedExecutionException.class.getSimpleName())) {
			return true;
		}
		for (IThrowableProxy cause = event.getThrowableProxy(); cause != null; cause = cause.getCause()) {
			if (cause.getClassName().equals(RejectedExecutionException.class.getName())) {
				return true;
			}
		}
		return false;
	}

}
