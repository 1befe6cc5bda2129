package dev.grpcscale.discovery.internal;

import java.util.List;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;

import dev.grpcscale.discovery.ServiceInstance;

/**
 * One discovery watch listener, called as {@link dev.grpcscale.discovery.ServiceDiscovery#watch} promises:
 * never concurrently with itself, never with an older list after a newer one (each list comes with the
 * version it was published at, and older or equal versions are dropped), and a listener that throws is
 * logged and kept. Optionally, a list equal to the last one delivered is dropped too.
 */
public final class VersionedListener {

	private final Logger logger;

	private final String serviceName;

	private final Consumer<List<ServiceInstance>> listener;

	private final boolean skipUnchanged;

	private volatile boolean cancelled;

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
	 * version was delivered already.
	 * @param version the publication's version, growing with every publication
	 * @param instances the list
	 */
	public synchronized void deliver(long version, List<ServiceInstance> instances) {
		if (this.cancelled || version <= this.delivered) {
			return;
		}
		this.delivered = version;
		if (this.skipUnchanged && instances.equals(this.last)) {
			return;
		}
		this.last = instances;
		try {
			this.listener.accept(instances);
		}
		catch (RuntimeException ex) {
			this.logger.warn("Discovery watch listener for '{}' failed", this.serviceName, ex);
		}
	}

	/** Stops further deliveries; one already running completes. */
	public void cancel() {
		this.cancelled = true;
	}

	/** The watched service. */
	public String serviceName() {
		return this.serviceName;
	}

}
