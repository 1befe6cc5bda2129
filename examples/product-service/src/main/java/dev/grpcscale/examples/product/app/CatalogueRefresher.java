package dev.grpcscale.examples.product.app;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The product-service instances' one job that must run on a single instance at a time: refreshing the
 * catalogue. It runs inside a {@link dev.grpcscale.cluster.LeaderTask}, so only the elected leader runs it,
 * and every refresh carries the fencing token of the leadership it ran under (a real store would reject
 * writes with a token lower than one it has seen).
 */
public class CatalogueRefresher {

	private final Duration period;

	private final AtomicLong refreshes = new AtomicLong();

	private final AtomicLong lastToken = new AtomicLong(-1);

	/**
	 * Creates the job.
	 * @param period time between two refreshes
	 */
	public CatalogueRefresher(Duration period) {
		this.period = period;
	}

	/**
	 * Refreshes until interrupted (leadership revoked or shutdown).
	 * @param fencingToken the token of the leadership this runs under
	 */
	public void run(long fencingToken) {
		while (!Thread.currentThread().isInterrupted()) {
			this.lastToken.set(fencingToken);
			this.refreshes.incrementAndGet();
			try {
				Thread.sleep(this.period.toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

	/** How many refreshes this instance made. */
	public long refreshes() {
		return this.refreshes.get();
	}

	/** The fencing token of the last refresh, or -1. */
	public long lastToken() {
		return this.lastToken.get();
	}

}
