package dev.grpcscale.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** The thread factories of grpc-scale's own executors: daemon threads, named so a thread dump says whose they are. */
public final class DaemonThreads {

	private DaemonThreads() {
	}

	/**
	 * A factory of daemon threads all named {@code name}, for a single-thread executor.
	 * @param name such as {@code grpc-scale-k8s-discovery}
	 * @return the factory
	 */
	public static ThreadFactory named(String name) {
		return (task) -> daemon(task, name);
	}

	/**
	 * A factory of daemon threads named {@code prefix} and a count from 1.
	 * @param prefix such as {@code grpc-scale-consul-http-}
	 * @return a new factory with its own count
	 */
	public static ThreadFactory numbered(String prefix) {
		AtomicInteger count = new AtomicInteger();
		return (task) -> daemon(task, prefix + count.incrementAndGet());
	}

	private static Thread daemon(Runnable task, String name) {
		Thread thread = new Thread(task, name);
		thread.setDaemon(true);
		return thread;
	}

}
