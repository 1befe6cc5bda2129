package dev.grpcscale.cluster;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;

import org.jspecify.annotations.Nullable;

import dev.grpcscale.internal.DaemonThreads;

/**
 * The threads of an {@link AbstractLeaderElection}: the scheduler its state machine runs on and the executor
 * its listeners are called on. Each is the one the settings give, or one of the election's own that
 * {@link #shutdown()} stops: a single thread {@code grpc-scale-cluster-<nodeId>}, and a cached pool of threads
 * {@code grpc-scale-cluster-events-<nodeId>-<n>}. Executors given in the settings are never shut down.
 */
final class ElectionExecutors {

	private final ScheduledExecutorService scheduler;

	private final boolean ownScheduler;

	private final Executor listenerExecutor;

	private final @Nullable ExecutorService ownListenerExecutor;

	ElectionExecutors(LeaderElectionSettings settings) {
		ScheduledExecutorService given = settings.scheduler();
		if (given != null) {
			this.scheduler = given;
			this.ownScheduler = false;
		}
		else {
			ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1,
					DaemonThreads.named("grpc-scale-cluster-" + settings.nodeId()));
			executor.setRemoveOnCancelPolicy(true);
			this.scheduler = executor;
			this.ownScheduler = true;
		}
		Executor givenListenerExecutor = settings.listenerExecutor();
		if (givenListenerExecutor != null) {
			this.listenerExecutor = givenListenerExecutor;
			this.ownListenerExecutor = null;
		}
		else {
			ExecutorService executor = Executors.newCachedThreadPool(
					DaemonThreads.numbered("grpc-scale-cluster-events-" + settings.nodeId() + "-"));
			this.listenerExecutor = executor;
			this.ownListenerExecutor = executor;
		}
	}

	/** The scheduler the election runs on. */
	ScheduledExecutorService scheduler() {
		return this.scheduler;
	}

	/** The executor listeners are called on. */
	Executor listenerExecutor() {
		return this.listenerExecutor;
	}

	/** Stops the election's own threads, at once; leaves executors given in the settings running. */
	void shutdown() {
		if (this.ownScheduler) {
			this.scheduler.shutdownNow();
		}
		if (this.ownListenerExecutor != null) {
			this.ownListenerExecutor.shutdownNow();
		}
	}

}
