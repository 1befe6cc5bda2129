package dev.grpcscale.discovery.etcd;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.etcd.jetcd.Client;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import dev.grpcscale.internal.DaemonThreads;
import dev.grpcscale.test.junit.CloseAfterEach;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@link EtcdRegistryResources}: what the registry created is closed with it, what it was given is not. */
class EtcdRegistryResourcesTests {

	@RegisterExtension
	final CloseAfterEach resources = new CloseAfterEach();

	private Client client;

	@BeforeEach
	void createClient() {
		this.client = this.resources.track(Client.builder().endpoints("http://127.0.0.1:1").build());
	}

	@Test
	void schedulerOfTheRegistrysOwnHasNamedThreadsAndStopsOnClose() throws Exception {
		EtcdRegistryResources owned = new EtcdRegistryResources(this.client, false, null);
		String thread = owned.scheduler().schedule(() -> Thread.currentThread().getName(), 0, TimeUnit.SECONDS)
			.get(5, TimeUnit.SECONDS);

		owned.close();

		assertThat(thread).startsWith("grpc-scale-etcd-registry-");
		assertThat(owned.scheduler().isShutdown()).isTrue();
		await().atMost(Duration.ofSeconds(5)).until(() -> owned.scheduler().isTerminated());
	}

	@Test
	void givenSchedulerIsUsedAndLeftRunning() {
		ScheduledExecutorService given = Executors
			.newSingleThreadScheduledExecutor(DaemonThreads.named("grpc-scale-etcd-resources-test"));
		this.resources.track(given::shutdownNow);
		EtcdRegistryResources borrowed = new EtcdRegistryResources(this.client, false, given);

		borrowed.close();

		assertThat(borrowed.scheduler()).isSameAs(given);
		assertThat(given.isShutdown()).isFalse();
	}

}
