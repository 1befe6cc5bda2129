package dev.grpcscale.discovery.internal;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * One discovery watch listener, called as {@link dev.grpcscale.discovery.ServiceDiscovery#watch} promises:
 * never concurrently with itself, never with an older list after a newer one (each list comes with the
 * version it was published at, and older or equal versions are dropped), and a listener that throws is
 * logged and kept. Optionally, a list equal to the last one delivered is dropped too.
 *
 * <p>A list is delivered on the publishing thread when the listener is idle, with no hand-off. A list
 * published while the listener is running on another thread is left for that thread, which delivers the
 * newest such list when the listener returns, and the publisher returns at once: a slow or blocked listener
 * holds only the thread already running it, never the other publishers (callers of {@code register()}, a
 * backend's watch thread) nor, through them, the other listeners. Lists replaced meanwhile are never
 * delivered.
 */
public final class VersionedListener {

	private final Logger logger;

	private final String serviceName;

	private final Consumer<List<ServiceInstance>> listener;

	private final boolean skipUnchanged;

	private volatile boolean cancelled;

	/** The newest list published and not yet taken for delivery. */
	private final AtomicReference<@Nullable Published> pending = new AtomicReference<>();

	/** Whether a thread is delivering; the one that sets it owns the fields below. */
	private final AtomicBoolean delivering = new AtomicBoolean();

	private long delivered = -1;

	private @Nullable List<ServiceInstance> last;

	/**
	 * Wraps a listener.
	 * @param logger the backend's logger, where a failing listener is reported
	 * @param serviceName the watched service, for the log
	 * @param listener the listener
	 * @param skipUnchanged whether a list equal to the last delivered one is dropped
	 */
	public VersionedListener(Logger logger, String serviceName, Consumer<List<ServiceInstance>> listener,
			boolean skipUnchanged) {
		this.logger = logger;
		this.serviceName = serviceName;
		this.listener = listener;
		this.skipUnchanged = skipUnchanged;
	}

	/**
	 * Delivers a list published at {@code version}, unless cancelled or a list of the same or a newer
	 * version was delivered already: on this thread when the listener is idle, else by the thread running
	 * it, once it returns.
	 * @param version the publication's version, growing with every publication
	 * @param instances the list
	 */
	public void deliver(long version, List<ServiceInstance> instances) {
		if (this.cancelled) {
			return;
		}
		Published offered = new Published(version, instances);
		this.pending.accumulateAndGet(offered,
				(current, next) -> (current == null || next.version() > current.version()) ? next : current);
		// Whoever wins the flag delivers until nothing is pending. The check after releasing it closes the
		// window in which a publisher left a list behind just as the deliverer was finishing.
		while (this.pending.get() != null && this.delivering.compareAndSet(false, true)) {
			try {
				Published next;
				while ((next = this.pending.getAndSet(null)) != null) {
					deliverNow(next);
				}
			}
			finally {
				this.delivering.set(false);
			}
		}
	}

	private void deliverNow(Published published) {
		if (this.cancelled || published.version() <= this.delivered) {
			return;
		}
		this.delivered = published.version();
		if (this.skipUnchanged && published.instances().equals(this.last)) {
			return;
		}
		this.last = published.instances();
		try {
			this.listener.accept(published.instances());
		}
		catch (RuntimeException ex) {
			this.logger.warn("Discovery watch listener for '{}' failed", this.serviceName, ex);
		}
	}

	/** Stops further deliveries; one already running completes. */
	public void cancel() {
		this.cancelled = true;
		this.pending.set(null);
	}

	/** The watched service. */
	public String serviceName() {
		return this.serviceName;
	}

	private record Published(long version, List<ServiceInstance> instances) {
	}

}
