package dev.grpcscale.consul.internal;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/** Names the threads the Consul backends start: daemon threads {@code <prefix>1}, {@code <prefix>2}, ... */
public final class ConsulThreads {

	private ConsulThreads() {
	}

	/**
	 * A factory of daemon threads named {@code prefix} and a count from 1.
	 * @param prefix such as {@code grpc-scale-consul-http-}
	 * @return a new factory with its own count
	 */
	public static ThreadFactory daemon(String prefix) {
		AtomicInteger count = new AtomicInteger();
		return (runnable) -> {
			Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

}
