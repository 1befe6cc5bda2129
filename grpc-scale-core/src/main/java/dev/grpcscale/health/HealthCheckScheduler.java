package dev.grpcscale.health;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * The scheduler the probes of one {@link HealthCheckingServiceDiscovery} run on: an injected one, left running
 * on {@link #close()}, or one of its own with a single daemon thread named {@code grpc-scale-health-N}, shut
 * down on {@link #close()}.
 */
final class HealthCheckScheduler {

	private static final AtomicInteger COUNT = new AtomicInteger();

	private static final long TERMINATION_WAIT_SECONDS = 5;

	private final ScheduledExecutorService executor;

	/** The threads of a scheduler of our own, {@code null} for an injected one. */
	private final @Nullable Set<Thread> ownThreads;

	private HealthCheckScheduler(ScheduledExecutorService executor, @Nullable Set<Thread> ownThreads) {
		this.executor = executor;
		this.ownThreads = ownThreads;
	}

	/**
	 * The given scheduler, or a new one of our own.
	 * @param injected the scheduler to use, never shut down here; {@code null} for one of our own
	 * @return the scheduler
	 */
	static HealthCheckScheduler of(@Nullable ScheduledExecutorService injected) {
		if (injected != null) {
			return new HealthCheckScheduler(injected, null);
		}
		Set<Thread> threads = ConcurrentHashMap.newKeySet();
		return new HealthCheckScheduler(newExecutor(threads), threads);
	}

	private static ScheduledExecutorService newExecutor(Set<Thread> threads) {
		String name = "grpc-scale-health-" + COUNT.incrementAndGet();
		ThreadFactory factory = (runnable) -> {
			Thread thread = new Thread(() -> {
				try {
					runnable.run();
				}
				finally {
					threads.remove(Thread.currentThread());
				}
			}, name);
			thread.setDaemon(true);
			threads.add(thread);
			return thread;
		};
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, factory);
		executor.setRemoveOnCancelPolicy(true);
		return executor;
	}

	/** The executor probes and their results run on; it may reject tasks once closed. */
	ScheduledExecutorService executor() {
		return this.executor;
	}

	/**
	 * Shuts down a scheduler of our own and waits up to 5 s for it to terminate (not when called on one of its
	 * threads); leaves an injected one running.
	 */
	void close() {
		if (this.ownThreads == null) {
			return;
		}
		this.executor.shutdownNow();
		if (!this.ownThreads.contains(Thread.currentThread())) {
			try {
				this.executor.awaitTermination(TERMINATION_WAIT_SECONDS, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

}
