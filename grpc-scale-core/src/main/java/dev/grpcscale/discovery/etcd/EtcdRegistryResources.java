package dev.grpcscale.discovery.etcd;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import io.etcd.jetcd.Client;
import org.jspecify.annotations.Nullable;

import dev.grpcscale.internal.DaemonThreads;

/**
 * The jetcd client and the scheduler an {@link EtcdServiceRegistry} runs on, each either given by the
 * application (left open) or created by the registry (closed with it). A scheduler the registry creates has two
 * daemon threads named {@code grpc-scale-etcd-registry-N}.
 */
final class EtcdRegistryResources {

	private final Client client;

	private final boolean ownsClient;

	private final ScheduledExecutorService scheduler;

	private final boolean ownsScheduler;

	/**
	 * @param client the client
	 * @param ownsClient whether {@link #close()} closes the client
	 * @param scheduler the application's scheduler, or {@code null} for one of the registry's own
	 */
	EtcdRegistryResources(Client client, boolean ownsClient, @Nullable ScheduledExecutorService scheduler) {
		this.client = client;
		this.ownsClient = ownsClient;
		this.ownsScheduler = (scheduler == null);
		this.scheduler = (scheduler != null) ? scheduler
				: Executors.newScheduledThreadPool(2, DaemonThreads.numbered("grpc-scale-etcd-registry-"));
	}

	Client client() {
		return this.client;
	}

	ScheduledExecutorService scheduler() {
		return this.scheduler;
	}

	/** Closes the client and stops the scheduler, each only if the registry created it. */
	void close() {
		if (this.ownsClient) {
			this.client.close();
		}
		if (this.ownsScheduler) {
			this.scheduler.shutdownNow();
		}
	}

}
